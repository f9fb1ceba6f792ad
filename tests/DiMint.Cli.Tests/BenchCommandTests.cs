using System.Text.Json;
using DiMint.Testing.Processes;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary><c>dimint bench</c> runs a small workload against a real cluster and reports well-formed results; not how fast.</summary>
[Trait("Category", "Process")]
public sealed class BenchCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench_SmallWorkload_LoadsKeysAndWritesWellFormedResults()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(3);
        var path = Path.Combine(cluster.Cli.Home, "bench.json");
        var chart = Path.Combine(cluster.Cli.Home, "bench.png");

        var result = await cluster.Cli.RunAsync(
            "bench", "--gateway", cluster.Gateways[0], "--keys", "2000", "--duration", "5", "--warmup", "1", "--concurrency", "8", "--json", path, "--chart", chart);
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());

        // Redirected, the live progress line comes every 5 s: throughput, the p99 of the moment, and errors.
        Assert.Matches(@"[\d,]+ ops/s  p99 +\d+\.\d\d ms +[\d,]+ ops  0 errors", result.Output);

        // The run drawn as a PNG (its signature), from the same progress intervals, which the JSON keeps too.
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, (await File.ReadAllBytesAsync(chart))[..4]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var root = json.RootElement;
        Assert.Equal("dimint", root.GetProperty("target").GetString());
        Assert.Equal(2000, root.GetProperty("workload").GetProperty("keys").GetInt64());
        Assert.Equal(8, root.GetProperty("workload").GetProperty("concurrency").GetInt32());
        Assert.Equal(2000, root.GetProperty("load").GetProperty("keys").GetInt64());
        Assert.True(root.GetProperty("opsPerSecond").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Equal(0, root.GetProperty("misses").GetInt64());
        Assert.NotEmpty(root.GetProperty("timeline").EnumerateArray());
        Assert.True(root.GetProperty("machine").GetProperty("processorCount").GetInt32() > 0);

        // The default mix is 80/20, so both kinds ran; each kind's percentiles are in order.
        var latency = root.GetProperty("latency");
        var all = latency.GetProperty("all");
        Assert.Equal(
            all.GetProperty("operations").GetInt64(),
            latency.GetProperty("read").GetProperty("operations").GetInt64() + latency.GetProperty("write").GetProperty("operations").GetInt64());
        foreach (var kind in new[] { "all", "read", "write" })
        {
            var figures = latency.GetProperty(kind);
            Assert.True(figures.GetProperty("operations").GetInt64() > 0, kind);
            var percentiles = new[] { "p50", "p90", "p99", "p999", "max" }.Select(p => figures.GetProperty(p).GetDouble()).ToArray();
            Assert.True(percentiles[0] > 0, kind);
            Assert.True(percentiles.SequenceEqual(percentiles.Order()), $"{kind}: {string.Join(" <= ", percentiles)}");
        }

        // The loaded keys are there for anyone to read: 100 bytes each by default.
        var get = await cluster.Cli.RunAsync("get", "--gateway", cluster.Gateways[0], "bench:1999");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(100, Convert.FromBase64String(JsonDocument.Parse(get.Output).RootElement.GetProperty("$bytes").GetString()!).Length);
    }

    [Theory]
    [InlineData("--read-ratio must be between 0 and 1", "--read-ratio", "2")]
    [InlineData("--target 'memcached' is not known", "--target", "memcached")]
    [InlineData("--concurrency must be", "--concurrency", "0")]
    [InlineData("'pareto' not recognized", "--distribution", "pareto")]
    [InlineData("--duration or --operations, not both", "--duration", "5", "--operations", "100")]
    [InlineData("--chart '/no/such/folder/bench.png': the directory /no/such/folder does not exist", "--chart", "/no/such/folder/bench.png")]
    public async Task Bench_BadOption_ExitsWithCode2_BeforeConnecting(string message, params string[] args)
    {
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);
        var path = Path.Combine(cli.Home, "bench.json");

        // No cluster listens on port 1: had the command tried to connect, it would have failed with exit code 3.
        var result = await cli.RunAsync(["bench", "--gateway", "127.0.0.1:1", "--json", path, .. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Directory.Delete(cli.Home, recursive: true);
    }
}
