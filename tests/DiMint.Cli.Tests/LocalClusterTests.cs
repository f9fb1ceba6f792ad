using System.Diagnostics;
using System.Text.Json;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary><c>dimint up</c> with real silo processes, used from the console and from a .NET app.</summary>
[Trait("Category", "Process")]
public sealed class LocalClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Up_ThreeSilos_ServesTheConsoleAndDotNetApps_AndStopsEverySilo()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(3, "--dashboard-port", "0");
        var cli = cluster.Cli;
        Assert.Equal(3, cluster.Gateways.Length);
        Assert.Equal(3, cluster.SiloProcessIds.Length);
        Assert.All(cluster.SiloProcessIds, pid => Assert.True(LocalClusterProcess.IsRunning(pid)));

        // The original report's tour, typed at the console.
        var set = await cli.RunAsync("set", "1", """{"$set":[1,2,3,4,5]}""");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal("""{"$set":[1,2,3,4,5]}""", set.Output.Trim());
        Assert.Equal(0, (await cli.RunAsync("set", "2.0", "[1,2,3,4,5]")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("set", "3", """{"1":"1","2":"2","3":"3"}""")).ExitCode);

        Assert.Equal("""{"$set":[1,2,3,4,5]}""", (await cli.RunAsync("get", "1")).Output.Trim());
        Assert.Equal("[1,2,3,4,5]", (await cli.RunAsync("get", "2.0")).Output.Trim());
        Assert.Equal("""{"1":"1","2":"2","3":"3"}""", (await cli.RunAsync("get", "3")).Output.Trim());

        var missing = await cli.RunAsync("get", "no-such-key");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not stored", missing.Error, StringComparison.Ordinal);
        var bad = await cli.RunAsync("set", "k", "{not json");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal(1, (await cli.RunAsync("get", "k")).ExitCode);

        // What `get` prints, `set` takes back unchanged.
        var typed = """{"$dict":[[1,{"$bytes":"AAEC"}],["x",2.0]]}""";
        Assert.Equal(0, (await cli.RunAsync("set", "typed", typed)).ExitCode);
        Assert.Equal(typed, (await cli.RunAsync("get", "typed")).Output.Trim());

        // Expiry and counters.
        Assert.Equal("\"alive\"", (await cli.RunAsync("set", "session", "\"alive\"", "--ttl", "10m")).Output.Trim());
        var ttl = DataCommandsDuration((await cli.RunAsync("ttl", "session")).Output.Trim());
        Assert.InRange(ttl, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal("Expiry removed.", (await cli.RunAsync("persist", "session")).Output.Trim());
        Assert.Equal("no expiry", (await cli.RunAsync("ttl", "session")).Output.Trim());
        Assert.Equal(0, (await cli.RunAsync("expire", "session", "1h")).ExitCode);
        Assert.InRange(DataCommandsDuration((await cli.RunAsync("ttl", "session")).Output.Trim()), TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Equal(1, (await cli.RunAsync("ttl", "no-such-key")).ExitCode);
        Assert.Equal(2, (await cli.RunAsync("set", "session", "1", "--ttl", "-5s")).ExitCode);
        Assert.Equal("\"alive\"", (await cli.RunAsync("get", "session")).Output.Trim());
        Assert.Equal("5", (await cli.RunAsync("incr", "visits", "5")).Output.Trim());
        Assert.Equal("6", (await cli.RunAsync("incr", "visits")).Output.Trim());
        var notANumber = await cli.RunAsync("incr", "session");
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Contains("string", notANumber.Error);

        // Redis's own client, on the second silo's Redis-protocol port, with the cluster secret as its password.
        Assert.Contains($"Redis protocol: 127.0.0.1:{cluster.RespPort} 127.0.0.1:{cluster.RespPort + 1} 127.0.0.1:{cluster.RespPort + 2}", cluster.Output);
        var redisCli = Process.Start(new ProcessStartInfo("redis-cli", ["-p", $"{cluster.RespPort + 1}", "-a", File.ReadAllText(cluster.SecretFile!).Trim(), "--no-auth-warning", "set", "from-redis", "hello"]) { RedirectStandardOutput = true })!;
        Assert.Equal("OK", (await redisCli.StandardOutput.ReadToEndAsync()).Trim());
        await redisCli.WaitForExitAsync();
        Assert.Equal("\"hello\"", (await cli.RunAsync("get", "from-redis")).Output.Trim());
        Assert.Equal(0, (await cli.RunAsync("del", "from-redis")).ExitCode);

        // A .NET app that knows only the gateways.
        await using (var app = await DimintClient.ConnectAsync(cluster.ClientOptions()))
        {
            Assert.True((await app.GetAsync<HashSet<long>>(1)).SetEquals([1, 2, 3, 4, 5]));
            await app.SetAsync("from-app", new Dictionary<int, List<double>> { [7] = [1.5, 2] });
            var entries = Enumerable.Range(0, 3000).ToDictionary(i => $"bulk:{i}", i => (object)i);
            await app.SetManyAsync(entries);
            Assert.Equal(entries.Count, (await app.GetManyAsync(entries.Keys)).Count);
        }

        Assert.Equal("""{"$dict":[[7,[1.5,2.0]]]}""", (await cli.RunAsync("get", "from-app")).Output.Trim());
        Assert.Equal(0, (await cli.RunAsync("del", "from-app")).ExitCode);
        Assert.Equal(1, (await cli.RunAsync("del", "from-app")).ExitCode);

        // Keys 1, 2.0, 3, typed, session, visits and the app's 3,000.
        const int stored = 3006;
        var status = await cli.RunAsync("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var silos = JsonDocument.Parse(status.Output).RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, silos.Length);
        Assert.All(silos, s => Assert.True(s.GetProperty("up").GetBoolean()));
        Assert.All(silos, s => Assert.True(s.GetProperty("keys").GetInt64() > 0));
        Assert.Equal(stored, silos.Sum(s => s.GetProperty("keys").GetInt64()));
        Assert.Equal(cluster.SiloProcessIds.Order(), silos.Select(s => s.GetProperty("pid").GetInt32()).Order());

        // One silo runs the overlord (it holds the lease, kept in the local cluster's files); the others stand by.
        Assert.Equal(["leader", "standby", "standby"], silos.Select(s => s.GetProperty("overlord").GetString()).Order());

        var table = await cli.RunAsync("status");
        output.WriteLine(table.Output);
        Assert.Contains("3 of 3 silos up", table.Output, StringComparison.Ordinal);
        Assert.Contains("Overlord: ", table.Output, StringComparison.Ordinal);
        Assert.Contains("2 standbys.", table.Output, StringComparison.Ordinal);

        var ring = await cli.RunAsync("ring", "--json");
        var ranges = JsonDocument.Parse(ring.Output).RootElement.GetProperty("ranges").EnumerateArray().ToArray();
        Assert.Equal(24, ranges.Length);
        Assert.Equal("0x0000000000000000", ranges[0].GetProperty("start").GetString());
        Assert.Equal("2^64", ranges[^1].GetProperty("end").GetString());
        Assert.Equal(stored, ranges.Sum(r => r.GetProperty("keys").GetInt64()));

        // `up` started the dashboard too, and it reads the same cluster.
        Assert.NotNull(cluster.DashboardUrl);
        using (var http = new HttpClient { BaseAddress = new Uri(cluster.DashboardUrl) })
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var view = JsonDocument.Parse(await http.GetStringAsync("api/cluster")).RootElement;
                    var viewSilos = view.GetProperty("silos").EnumerateArray().ToArray();
                    return viewSilos.Length == 3 && viewSilos.All(s => s.GetProperty("up").GetBoolean())
                        && viewSilos.Sum(s => s.GetProperty("keys").GetInt64()) == stored
                        && viewSilos.Count(s => s.GetProperty("overlord").GetString() == "leader") == 1
                        && viewSilos.Count(s => s.GetProperty("overlord").GetString() == "standby") == 2;
                },
                TimeSpan.FromSeconds(30),
                "the dashboard to show the three silos up, their 3,004 keys, and the overlord on one of them");
        }

        // A second `up` while one runs says so and starts nothing.
        var second = await cli.RunAsync("up", "--silos", "1", "--silo-port", FreePorts.Block(1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--gateway-port", FreePorts.Block(1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, second.ExitCode);
        Assert.Contains("already running", second.Error, StringComparison.Ordinal);

        // Ctrl+C / SIGTERM stops every silo it started.
        var exit = await cluster.StopAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"dimint up exited with {exit}:\n{cluster.Output}");
        Assert.All(cluster.SiloProcessIds, pid => Assert.False(LocalClusterProcess.IsRunning(pid), $"silo {pid} is still running"));
        Assert.False(File.Exists(Path.Combine(cli.Home, "cluster.json")));
    }

    [Fact]
    public async Task Up_KilledWithSigkill_LeavesNoSiloBehind()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(2);
        var silos = cluster.SiloProcessIds;
        Assert.Equal(2, silos.Length);

        await cluster.KillAsync();

        await Wait.UntilAsync(() => silos.All(pid => !LocalClusterProcess.IsRunning(pid)), TimeSpan.FromSeconds(60), "every silo to exit after its parent died");
    }

    /// <summary>A duration as `dimint ttl` prints it (seconds, with an "s").</summary>
    private static TimeSpan DataCommandsDuration(string text) =>
        TimeSpan.FromSeconds(double.Parse(text.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture));
}
