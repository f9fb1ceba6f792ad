using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DiMint.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>The cluster page and the web test client in a real browser, against a real local cluster.</summary>
[Trait("Category", "Browser")]
[TestCaseOrderer(PriorityOrderer.TypeName, PriorityOrderer.AssemblyName)]
public sealed class DashboardPageTests(DashboardClusterFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Page_ShowsEverySiloUp_AndARingCoveringTheWholeHashSpace()
    {
        var page = await fixture.OpenAsync();
        var up = page.Locator("#silos tbody tr[data-up='true']");
        await Wait.UntilAsync(async () => await up.CountAsync() == DashboardClusterFixture.Silos, Deadline, "every silo shown up");
        Assert.Equal(0, await page.Locator("#silos tbody tr[data-up='false']").CountAsync());
        Assert.Equal($"{DashboardClusterFixture.Silos}/{DashboardClusterFixture.Silos}", await page.Locator("#total-silos").TextContentAsync());

        // The arcs, in ring order, start at 0, meet end to end and finish at 2^64.
        var arcs = page.Locator("#ring path.range");
        await Wait.UntilAsync(async () => await arcs.CountAsync() > 0, Deadline, "the ring drawn");
        var bounds = await arcs.EvaluateAllAsync<double[][]>("ps => ps.map(p => [Number(p.dataset.start), Number(p.dataset.end)])");
        var ordered = bounds.OrderBy(b => b[0]).ToArray();
        Assert.Equal(0, ordered[0][0]);
        Assert.Equal(1, ordered[^1][1]);
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.Equal(ordered[i - 1][1], ordered[i][0]);
        }

        // Coloured by owner: one colour per master silo, as many as there are silos.
        var masters = await arcs.EvaluateAllAsync<string[]>("ps => ps.map(p => p.dataset.master + '=' + p.getAttribute('fill'))");
        Assert.Equal(DashboardClusterFixture.Silos, masters.Distinct().Count());
        Assert.Equal(DashboardClusterFixture.Silos, masters.Select(m => m.Split('=')[1]).Distinct().Count());

        var shot = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        var path = SaveArtifact("dashboard-cluster.png", shot);
        output.WriteLine($"Screenshot: {path}");
        var colours = PngImage.DistinctColours(shot, step: 2);
        Assert.True(colours > 200, $"The screenshot looks blank: {colours} distinct colours.");
    }

    [Fact]
    public async Task WebClient_SetsADictHoldingASet_ReadsItBackWithTheSameTypes()
    {
        var page = await fixture.OpenAsync();
        var key = TestKeys.Key("web");
        const string Value = """{"tags":{"$set":[1,2,3]},"ratio":2.5,"count":7,"blob":{"$bytes":"AAEC"}}""";

        await page.FillAsync("#kv-key", key);
        await page.FillAsync("#kv-value", Value);
        await page.ClickAsync("#kv-set");
        await Assertions.Expect(page.Locator("#kv-status")).ToHaveTextAsync("Stored");

        // A fresh read, from a reloaded page.
        await page.ReloadAsync();
        await page.FillAsync("#kv-key", key);
        await page.ClickAsync("#kv-get");
        await Assertions.Expect(page.Locator("#kv-status")).ToHaveTextAsync("Read");
        Assert.Equal(Value, await page.Locator("#kv-notation").TextContentAsync());
        Assert.Equal("dictionary", await page.Locator("#kv-kind").TextContentAsync());
        var types = await page.Locator("#kv-typed .type").AllTextContentsAsync();
        Assert.Equal(["dictionary", "string", "set", "integer", "integer", "integer", "string", "double", "string", "integer", "string", "bytes"], types);
        Assert.True(await page.Locator("#kv-error").IsHiddenAsync());

        // The console reads the same value, types and all.
        var cli = await fixture.Cluster.Cli.RunAsync("get", key);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal(Value, cli.Output.Trim());
    }

    [Fact]
    public async Task WebClient_BadInput_ShowsAClearError_AndChangesNothing()
    {
        var page = await fixture.OpenAsync();
        var key = TestKeys.Key("bad");

        await page.FillAsync("#kv-key", key);
        await page.FillAsync("#kv-value", "{not json");
        await page.ClickAsync("#kv-set");
        await Assertions.Expect(page.Locator("#kv-error")).ToContainTextAsync("not valid");
        Assert.True(await page.Locator("#kv-result").IsHiddenAsync());

        await page.FillAsync("#kv-value", """{"$set": 5}""");
        await page.ClickAsync("#kv-set");
        await Assertions.Expect(page.Locator("#kv-error")).ToContainTextAsync("$set");

        await page.ClickAsync("#kv-get");
        await Assertions.Expect(page.Locator("#kv-error")).ToContainTextAsync("is not stored");
        Assert.Equal(1, (await fixture.Cluster.Cli.RunAsync("get", key)).ExitCode);

        // A page without the admin token cannot write: it says why, and nothing is stored.
        var anonymous = await fixture.OpenAsync(withAdminToken: false);
        Assert.Equal("", await anonymous.InputValueAsync("#admin-token"));
        await anonymous.FillAsync("#kv-key", key);
        await anonymous.FillAsync("#kv-value", "42");
        await anonymous.ClickAsync("#kv-set");
        await Assertions.Expect(anonymous.Locator("#kv-error")).ToContainTextAsync("need the admin token");
        await anonymous.ClickAsync("#kv-delete");
        await Assertions.Expect(anonymous.Locator("#kv-error")).ToContainTextAsync("need the admin token");
        Assert.Equal(1, (await fixture.Cluster.Cli.RunAsync("get", key)).ExitCode);

        // The API answers 4xx with a JSON error for each, and stores nothing.
        using var http = new HttpClient { BaseAddress = fixture.Url };
        var url = $"api/kv?key={Uri.EscapeDataString(key)}";
        await AssertErrorAsync(await http.PutAsync(url, new StringContent("42", Encoding.UTF8, "application/json")), HttpStatusCode.Unauthorized, "AdminTokenInvalid");
        await AssertErrorAsync(await http.DeleteAsync(url), HttpStatusCode.Unauthorized, "AdminTokenInvalid");
        http.DefaultRequestHeaders.Add("X-DiMint-Admin-Token", DashboardClusterFixture.AdminToken);
        await AssertErrorAsync(await http.PutAsync(url, new StringContent("[1, 2", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "BadJson");
        await AssertErrorAsync(await http.GetAsync(url), HttpStatusCode.NotFound, "KeyNotFound");
        await AssertErrorAsync(await http.DeleteAsync(url), HttpStatusCode.NotFound, "KeyNotFound");
        await AssertErrorAsync(await http.GetAsync("api/kv"), HttpStatusCode.BadRequest, "InvalidKey");
        var oversize = JsonSerializer.Serialize(new string('x', (16 * 1024 * 1024) + 1));
        await AssertErrorAsync(await http.PutAsync(url, new StringContent(oversize, Encoding.UTF8, "application/json")), HttpStatusCode.RequestEntityTooLarge, "ValueTooLarge");
        await AssertErrorAsync(await http.GetAsync(url), HttpStatusCode.NotFound, "KeyNotFound");
    }

    [Fact]
    public async Task Split_NeedsTheAdminToken_ReadsDoNot()
    {
        using var http = new HttpClient { BaseAddress = fixture.Url };
        var ring = JsonDocument.Parse(await http.GetStringAsync("api/ring")).RootElement;
        var before = ring.GetProperty("ranges").GetArrayLength();
        var id = ring.GetProperty("ranges")[0].GetProperty("id").GetInt32();

        await AssertErrorAsync(await http.PostAsync($"api/ranges/{id}/split", null), HttpStatusCode.Unauthorized, "AdminTokenInvalid");
        using var wrong = new HttpRequestMessage(HttpMethod.Post, $"api/ranges/{id}/split") { Headers = { { "X-DiMint-Admin-Token", "nope" } } };
        await AssertErrorAsync(await http.SendAsync(wrong), HttpStatusCode.Unauthorized, "AdminTokenInvalid");
        Assert.Equal(before, JsonDocument.Parse(await http.GetStringAsync("api/ring")).RootElement.GetProperty("ranges").GetArrayLength());

        using var right = new HttpRequestMessage(HttpMethod.Post, $"api/ranges/{id}/split") { Headers = { { "X-DiMint-Admin-Token", DashboardClusterFixture.AdminToken } } };
        var split = await http.SendAsync(right);
        Assert.True(split.IsSuccessStatusCode, await split.Content.ReadAsStringAsync());
        await Wait.UntilAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync("api/ring")).RootElement.GetProperty("ranges").GetArrayLength() == before + 1,
            Deadline, "the split range shown");
    }

    [Fact]
    public async Task Split_ShowsInTheOperationsPanel_AndApi_AsDoneWithItsHalves()
    {
        var page = await fixture.OpenAsync();
        using var http = new HttpClient { BaseAddress = fixture.Url };
        var ring = JsonDocument.Parse(await http.GetStringAsync("api/ring")).RootElement;
        var ranges = ring.GetProperty("ranges");
        var id = ranges[ranges.GetArrayLength() - 1].GetProperty("id").GetInt32();

        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/ranges/{id}/split") { Headers = { { "X-DiMint-Admin-Token", DashboardClusterFixture.AdminToken } } };
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var operation = JsonDocument.Parse(body).RootElement.GetProperty("operation");
        var opId = operation.GetProperty("id").GetInt64();
        Assert.Equal("Done", operation.GetProperty("state").GetString());

        // The API lists it, done, with the two halves it produced.
        var listed = JsonDocument.Parse(await http.GetStringAsync("api/operations")).RootElement.EnumerateArray()
            .Single(o => o.GetProperty("id").GetInt64() == opId);
        Assert.Equal("Split", listed.GetProperty("kind").GetString());
        Assert.Equal("Done", listed.GetProperty("state").GetString());
        Assert.Equal(id, listed.GetProperty("rangeId").GetInt32());
        Assert.Equal(2, listed.GetProperty("resultRanges").GetArrayLength());
        Assert.Equal(100, listed.GetProperty("progress").GetDouble());
        Assert.Equal("Split", JsonDocument.Parse(await http.GetStringAsync($"api/operations/{opId}")).RootElement.GetProperty("kind").GetString());
        await AssertErrorAsync(await http.GetAsync("api/operations/987654321"), HttpStatusCode.NotFound, "UnknownOperation");

        // The page's operations panel shows it with its kind, state and 100%.
        var row = page.Locator($"#operations-table tbody tr[data-op='{opId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Done", new LocatorAssertionsToHaveAttributeOptions { Timeout = 20_000 });
        Assert.Equal("split", await row.Locator("td").Nth(1).TextContentAsync());
        Assert.Contains("100%", await row.Locator("td.op-progress").TextContentAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#operations-empty").IsHiddenAsync());
        SaveArtifact("dashboard-operations.png", await page.Locator("#operations-panel").ScreenshotAsync());
    }

    [Fact]
    public async Task ValueSetFromTheCli_ShowsUpInTheKeyCount_AndTheApiAndMetricsServeIt()
    {
        var page = await fixture.OpenAsync();
        var total = page.Locator("#total-keys");
        await Wait.UntilAsync(async () => long.TryParse(await total.TextContentAsync(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _), Deadline, "a key count");
        using var http = new HttpClient { BaseAddress = fixture.Url };
        var before = await KeysAsync(http);
        var writesBefore = PrometheusText.Parse(await http.GetStringAsync("metrics")).Sum("dimint_silo_operations_total", ("kind", "write"));

        for (var i = 0; i < 3; i++)
        {
            var set = await fixture.Cluster.Cli.RunAsync("set", TestKeys.Key(i.ToString(CultureInfo.InvariantCulture)), """{"$set":[1,2]}""");
            Assert.True(set.ExitCode == 0, set.ToString());
        }

        var expected = (before + 3).ToString("N0", CultureInfo.GetCultureInfo("en-US"));
        await Assertions.Expect(total).ToHaveTextAsync(expected, new LocatorAssertionsToHaveTextOptions { Timeout = 20_000 });

        var cluster = JsonDocument.Parse(await http.GetStringAsync("api/cluster")).RootElement;
        Assert.Equal(before + 3, cluster.GetProperty("silos").EnumerateArray().Sum(s => s.GetProperty("keys").GetInt64()));
        Assert.Equal(cluster.GetProperty("silos").GetArrayLength(), JsonDocument.Parse(await http.GetStringAsync("api/silos")).RootElement.GetArrayLength());
        Assert.True(JsonDocument.Parse(await http.GetStringAsync("api/stats")).RootElement.GetProperty("history").GetArrayLength() > 0);

        // The exported figures are the cluster's: the three writes counted (each silo's histogram holding exactly its
        // reads and writes), the three keys in the ranges. Both come in with the dashboard's next samples.
        var scraped = "";
        var metrics = PrometheusText.Parse(scraped);
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    scraped = await http.GetStringAsync("metrics");
                    metrics = PrometheusText.Parse(scraped);
                    return metrics.Sum("dimint_silo_operations_total", ("kind", "write")) >= writesBefore + 3
                        && metrics.Sum("dimint_range_keys") == before + 3
                        && metrics.Silos("dimint_silo_operations_total").All(s => metrics.Sum("dimint_silo_operations_total", ("silo", s)) == LatencyCount(metrics, s));
                },
                Deadline,
                "metrics counting the three writes and keys");
        }
        catch (TimeoutException)
        {
            output.WriteLine($"{writesBefore} writes before; the last scrape:\n{scraped}");
            throw;
        }

        var up = metrics.Samples("dimint_silo_up");
        Assert.Equal(DashboardClusterFixture.Silos, up.Count);
        Assert.All(up, s => Assert.Equal(1, s.Value));
        Assert.Equal(DashboardClusterFixture.Silos, metrics.Silos("dimint_silo_operations_total").Count);
        foreach (var silo in metrics.Silos("dimint_silo_operations_total"))
        {
            // Cumulative, as a Prometheus histogram: never smaller at a larger bound.
            var buckets = metrics.Samples("dimint_silo_latency_bucket_total", ("silo", silo)).OrderBy(b => LatencyBound(b.Labels["le"])).Select(b => b.Value).ToArray();
            Assert.Equal(SiloLoad.LatencyBoundsMicroseconds.Length + 1, buckets.Length);
            Assert.Equal(buckets.Order(), buckets);
        }

        var orleans = await http.GetAsync("orleans/");
        Assert.Equal(HttpStatusCode.OK, orleans.StatusCode);
        Assert.Contains("Orleans Dashboard", await orleans.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    [TestPriority(100)]
    public async Task KillingASilo_TurnsItDownOnThePage()
    {
        var page = await fixture.OpenAsync();
        await Wait.UntilAsync(async () => await page.Locator("#silos tbody tr[data-up='true']").CountAsync() == DashboardClusterFixture.Silos, Deadline, "every silo up");

        // The last silo, not the first: the first holds the localhost membership table.
        var pid = fixture.Cluster.SiloProcessIds[^1];
        var victim = await page.Locator("#silos tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.silo)");
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var clock = Stopwatch.StartNew();
        await Wait.UntilAsync(async () => await page.Locator("#silos tbody tr[data-up='false']").CountAsync() == 1, TimeSpan.FromSeconds(25), "the killed silo shown down");
        output.WriteLine($"Shown down {clock.Elapsed.TotalSeconds:0.0} s after the kill.");
        Assert.Equal(DashboardClusterFixture.Silos - 1, await page.Locator("#silos tbody tr[data-up='true']").CountAsync());
        Assert.Equal("down", await page.Locator("#silos tbody tr[data-up='false'] .badge").TextContentAsync());
        Assert.Equal(victim.Length, await page.Locator("#silos tbody tr").CountAsync());
        SaveArtifact("dashboard-silo-down.png", await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true }));
    }

    /// <summary>The calls in <paramref name="silo"/>'s latency histogram: its <c>+Inf</c> bucket.</summary>
    private static double LatencyCount(PrometheusText metrics, string silo) =>
        metrics.Sum("dimint_silo_latency_bucket_total", ("silo", silo), ("le", "+Inf"));

    private static double LatencyBound(string le) =>
        le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);

    private static async Task<long> KeysAsync(HttpClient http)
    {
        // The count settles once a status sample has come in after the last write.
        long last = -1;
        var stable = 0;
        await Wait.UntilAsync(async () =>
        {
            var keys = JsonDocument.Parse(await http.GetStringAsync("api/cluster")).RootElement.GetProperty("silos").EnumerateArray().Sum(s => s.GetProperty("keys").GetInt64());
            stable = keys == last ? stable + 1 : 0;
            last = keys;
            return stable >= 10;
        }, Deadline, "a settled key count");
        return last;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode} {body}");
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    private static string SaveArtifact(string name, byte[] content)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DiMint.sln")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "dashboard");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
