using System.Text.Json;
using DiMint.Testing.Processes;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// <c>dimint bench --target redis</c> drives a real redis-server with the same workload as a DiMint cluster and reports
/// well-formed results; bad target or endpoints are refused before anything is sent. Not how fast.
/// </summary>
[Trait("Category", "Process")]
public sealed class BenchRedisTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BenchRedis_SmallWorkload_LoadsKeysAndWritesWellFormedResults()
    {
        await using var redis = await BenchRedisServer.StartAsync();
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);
        var path = Path.Combine(cli.Home, "bench.json");

        var result = await cli.RunAsync(
            "bench", "--target", "redis", "--endpoints", redis.Endpoint, "--keys", "2000", "--duration", "2", "--warmup", "0.5", "--concurrency", "8", "--json", path);
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ops/s", result.Output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var root = json.RootElement;
        Assert.Equal("redis", root.GetProperty("target").GetString());
        Assert.Equal([redis.Endpoint], root.GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("standalone", root.GetProperty("server").GetString(), StringComparison.Ordinal);
        Assert.Equal(2000, root.GetProperty("workload").GetProperty("keys").GetInt64());
        Assert.Equal(8, root.GetProperty("workload").GetProperty("concurrency").GetInt32());
        Assert.Equal(2000, root.GetProperty("load").GetProperty("keys").GetInt64());
        Assert.True(root.GetProperty("opsPerSecond").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Equal(0, root.GetProperty("misses").GetInt64());

        var latency = root.GetProperty("latency");
        Assert.Equal(
            latency.GetProperty("all").GetProperty("operations").GetInt64(),
            latency.GetProperty("read").GetProperty("operations").GetInt64() + latency.GetProperty("write").GetProperty("operations").GetInt64());
        foreach (var kind in new[] { "all", "read", "write" })
        {
            var figures = latency.GetProperty(kind);
            Assert.True(figures.GetProperty("operations").GetInt64() > 0, kind);
            var percentiles = new[] { "p50", "p90", "p99", "p999", "max" }.Select(p => figures.GetProperty(p).GetDouble()).ToArray();
            Assert.True(percentiles[0] > 0, kind);
            Assert.True(percentiles.SequenceEqual(percentiles.Order()), $"{kind}: {string.Join(" <= ", percentiles)}");
        }

        // The keys are in Redis for any client to read: all of them, 100 bytes each by default.
        await using var connection = await redis.ConnectAsync();
        Assert.Equal(2000, await connection.GetServers()[0].DatabaseSizeAsync());
        var value = (byte[]?)await connection.GetDatabase().StringGetAsync("bench:1999");
        Assert.Equal(100, value?.Length);
        Directory.Delete(cli.Home, recursive: true);
    }

    [Theory]
    [InlineData("--target 'memcached' is not known", "--target", "memcached")]
    [InlineData("--target redis needs --endpoints", "--target", "redis")]
    [InlineData("--endpoints: 'nope' is not host:port", "--target", "redis", "--endpoints", "nope")]
    [InlineData("--endpoints: '127.0.0.1:70000' is not host:port", "--target", "redis", "--endpoints", "127.0.0.1:1,127.0.0.1:70000")]
    [InlineData("--endpoints is for --target redis", "--endpoints", "127.0.0.1:1")]
    [InlineData("--gateway and --zookeeper are for --target dimint", "--target", "redis", "--endpoints", "127.0.0.1:1", "--gateway", "127.0.0.1:1")]
    public async Task BenchRedis_BadTargetOrEndpoints_ExitsWithCode2_BeforeConnecting(string message, params string[] args)
    {
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);
        var path = Path.Combine(cli.Home, "bench.json");

        // Nothing listens on port 1: had the command tried to connect, it would have failed with exit code 3.
        var result = await cli.RunAsync(["bench", "--json", path, .. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Directory.Delete(cli.Home, recursive: true);
    }

    [Fact]
    public async Task BenchRedis_NothingListening_ExitsWithCode3_AndSaysWhere()
    {
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);

        var result = await cli.RunAsync("bench", "--target", "redis", "--endpoints", "127.0.0.1:1", "--keys", "10", "--duration", "1");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("Could not connect to 127.0.0.1:1", result.Error, StringComparison.Ordinal);
        Directory.Delete(cli.Home, recursive: true);
    }
}
