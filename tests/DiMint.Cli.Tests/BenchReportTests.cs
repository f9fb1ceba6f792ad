using System.Globalization;
using System.Text.Json;
using DiMint.Testing.Processes;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// <c>dimint bench report</c> and <c>chart</c> turn the raw results bench/compare.sh collects into one table, a JSON
/// summary and a PNG chart. The raw results here come from real runs against a real redis-server.
/// </summary>
[Trait("Category", "Process")]
public sealed class BenchReportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Report_RawResults_WritesTableWithRatiosMemoryAndChart()
    {
        await using var redis = await BenchRedisServer.StartAsync();
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);
        var raw = Directory.CreateDirectory(Path.Combine(cli.Home, "raw")).FullName;

        // The report reads files only: two stores' worth of real results, named as compare.sh names them.
        string[] common = ["bench", "--target", "redis", "--endpoints", redis.Endpoint, "--keys", "2000", "--concurrency", "4", "--json"];
        await RunAsync(cli, [.. common, Path.Combine(raw, "dimint.load.json"), "--read-ratio", "1", "--operations", "100", "--warmup", "0"]);
        foreach (var system in new[] { "dimint", "redis" })
        {
            await RunAsync(cli, [.. common, Path.Combine(raw, $"{system}.mixed.json"), "--no-load", "--read-ratio", "0.8", "--duration", "0.5", "--warmup", "0"]);
            await RunAsync(cli, [.. common, Path.Combine(raw, $"{system}.write.json"), "--no-load", "--read-ratio", "0", "--duration", "0.5", "--warmup", "0"]);
            await RunAsync(cli, [.. common, Path.Combine(raw, $"{system}.zipfian.json"), "--no-load", "--read-ratio", "0.8", "--distribution", "zipfian", "--duration", "0.5", "--warmup", "0"]);
        }

        await File.WriteAllTextAsync(
            Path.Combine(raw, "dimint.memory.json"),
            """{ "label": "DiMint", "version": "test", "shape": "3 silos", "processes": 3, "rssBeforeBytes": 1000000, "rssAfterBytes": 3000000 }""");
        var prefix = Path.Combine(cli.Home, "compare");

        var result = await cli.RunAsync("bench", "report", "--in", raw, "--out", prefix, "--title", "Test comparison");
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        var markdown = await File.ReadAllTextAsync(prefix + ".md");
        Assert.Contains("# Test comparison", markdown, StringComparison.Ordinal);
        Assert.Contains("## 80/20 read/write", markdown, StringComparison.Ordinal);
        Assert.Contains("## 100% write", markdown, StringComparison.Ordinal);
        Assert.Contains("## 80/20 read/write, zipfian keys", markdown, StringComparison.Ordinal);
        Assert.Contains("| Redis Cluster |", markdown, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(prefix + ".json"));
        var workloads = json.RootElement.GetProperty("workloads").EnumerateArray().ToArray();
        Assert.Equal(["mixed", "zipfian", "write"], workloads.Select(w => w.GetProperty("id").GetString()));
        foreach (var workload in workloads)
        {
            var rows = workload.GetProperty("rows").EnumerateArray().ToArray();
            Assert.Equal(["dimint", "redis"], rows.Select(r => r.GetProperty("system").GetString()));
            Assert.All(rows, r => Assert.Equal(0, r.GetProperty("errors").GetInt64()));
            var dimint = rows[0].GetProperty("opsPerSecond").GetDouble();
            var other = rows[1].GetProperty("opsPerSecond").GetDouble();
            Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("dimintRatio").ValueKind);
            Assert.Equal(dimint / other, rows[1].GetProperty("dimintRatio").GetDouble(), 6);
            Assert.Contains(((dimint / other).ToString("0.00", CultureInfo.InvariantCulture)) + "×", markdown, StringComparison.Ordinal);
        }

        // 2,000 keys "bench:0".."bench:1999": 6 + 1..4 digits each, plus 100-byte values.
        var memory = Assert.Single(json.RootElement.GetProperty("memory").EnumerateArray());
        Assert.Equal(2000 * 106 + 10 + (90 * 2) + (900 * 3) + (1000 * 4), memory.GetProperty("dataBytes").GetInt64());
        Assert.Equal(1000.0, memory.GetProperty("bytesPerKey").GetDouble());

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await File.ReadAllBytesAsync(prefix + ".png"))[..4]);
        var chart = await cli.RunAsync("bench", "chart", "--in", prefix + ".json", "--out", Path.Combine(cli.Home, "again.png"));
        Assert.True(chart.ExitCode == 0, chart.ToString());
        Assert.True(new FileInfo(Path.Combine(cli.Home, "again.png")).Length > 10_000);
        Directory.Delete(cli.Home, recursive: true);
    }

    [Fact]
    public async Task Report_FolderWithoutResults_ExitsWithCode2()
    {
        var cli = new DimintCli(Directory.CreateTempSubdirectory("dimint-bench-").FullName);

        var result = await cli.RunAsync("bench", "report", "--in", cli.Home, "--out", Path.Combine(cli.Home, "compare"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("holds no benchmark results", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "compare.md")));
        Directory.Delete(cli.Home, recursive: true);
    }

    private async Task RunAsync(DimintCli cli, string[] args)
    {
        var result = await cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        output.WriteLine(result.Output);
    }
}
