using System.Net;
using System.Text.Json;
using DiMint.Dashboard.Tests.Browser;
using DiMint.Testing;
using DiMint.Testing.Processes;

namespace DiMint.Dashboard.Tests.Api;

/// <summary>A dashboard started without an admin token, against a real one-silo cluster, through its JSON API.</summary>
[Trait("Category", "Process")]
public sealed class AdminDisabledTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WithoutAnAdminToken_SplitsAndWritesAreRefusedWhateverTheHeader_AndNothingChanges_WhileReadsWork()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(1);
        await using var dashboard = await DashboardProcess.StartAsync([.. cluster.Gateways.SelectMany(g => new[] { "--gateway", g }), "--secret-file", cluster.SecretFile!, "--refresh-ms", "500"]);
        using var http = new HttpClient { BaseAddress = dashboard.Url };

        // The read-only views answer, and the cluster view says admin actions are off.
        JsonElement view = default;
        await Wait.UntilAsync(
            async () => (view = await GetJsonAsync(http, "api/cluster")).GetProperty("ringVersion").GetInt64() > 0,
            Deadline, "the dashboard's first sample of the cluster");
        Assert.False(view.GetProperty("adminEnabled").GetBoolean());
        var version = view.GetProperty("ringVersion").GetInt64();
        var ranges = view.GetProperty("ranges").GetArrayLength();
        var id = view.GetProperty("ranges")[0].GetProperty("id").GetInt32();
        Assert.Equal(1, (await GetJsonAsync(http, "api/silos")).GetArrayLength());
        Assert.Equal(ranges, (await GetJsonAsync(http, "api/ring")).GetProperty("ranges").GetArrayLength());
        Assert.Equal(JsonValueKind.Array, (await GetJsonAsync(http, "api/stats")).GetProperty("history").ValueKind);

        // No token the caller gives enables them: there is none to match.
        await AssertAdminDisabledAsync(await http.PostAsync($"api/ranges/{id}/split", null));
        foreach (var token in new[] { "anything", " " })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/ranges/{id}/split") { Headers = { { "X-DiMint-Admin-Token", token } } };
            await AssertAdminDisabledAsync(await http.SendAsync(request));
        }

        // Nor are writes: the dashboard only reads.
        const string Url = "api/kv?key=admin-disabled";
        using (var put = new HttpRequestMessage(HttpMethod.Put, Url) { Content = new StringContent("42"), Headers = { { "X-DiMint-Admin-Token", "anything" } } })
        {
            await AssertAdminDisabledAsync(await http.SendAsync(put));
        }

        await AssertAdminDisabledAsync(await http.DeleteAsync(Url));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(Url)).StatusCode);

        // The overlord (asked on each request) started no operation, and a sample taken after the refusals shows the same ring.
        var refusedAt = DateTimeOffset.UtcNow;
        Assert.Equal(0, (await GetJsonAsync(http, "api/operations")).GetArrayLength());
        await Wait.UntilAsync(
            async () => (view = await GetJsonAsync(http, "api/cluster")).GetProperty("generatedAt").GetDateTimeOffset() > refusedAt,
            Deadline, "a sample taken after the refused splits");
        Assert.Equal((version, ranges), (view.GetProperty("ringVersion").GetInt64(), view.GetProperty("ranges").GetArrayLength()));
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task AssertAdminDisabledAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{response.StatusCode} {body}");
        Assert.Equal("AdminDisabled", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }
}
