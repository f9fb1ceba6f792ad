using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// <c>dimint move</c>, <c>drain</c> and <c>ops</c> against real silo processes, as an operator types them; bad arguments
/// are refused with exit code 2 and leave the ring alone.
/// </summary>
[Trait("Category", "Process")]
public sealed class RebalanceCommandTests(RebalanceClusterFixture fixture, ITestOutputHelper output) : IClassFixture<RebalanceClusterFixture>
{
    [Fact]
    public async Task BadArguments_ExitWith2_SayWhyInOneLine_AndChangeNothing()
    {
        var before = await fixture.JsonAsync("ring", "--json");
        var operationsBefore = (await fixture.JsonAsync("ops", "--json")).GetArrayLength();
        var ranges = before.GetProperty("ranges").EnumerateArray().ToArray();
        var range = ranges[1];
        var id = Text(range.GetProperty("id").GetInt32());
        var start = ulong.Parse(range.GetProperty("start").GetString()!.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var master = Endpoint(range.GetProperty("master").GetString()!);

        string[][] cases =
        [
            ["split", "424242"],                                              // unknown range
            ["split", id, "--at", $"0x{start - 1:x16}"],                      // split point outside the range
            ["merge", Text(ranges[0].GetProperty("id").GetInt32()), Text(ranges[2].GetProperty("id").GetInt32())], // not adjacent
            ["move", id, "--to", "127.0.0.1:1"],                              // no silo there
            ["move", "424242", "--to", master],                               // unknown range
            ["move", id, "--to", master],                                     // already its master
            ["drain", "127.0.0.1:1"],                                         // no silo there
        ];
        foreach (var args in cases)
        {
            var result = await fixture.Cli.RunAsync(args);
            output.WriteLine($"dimint {string.Join(' ', args)} -> {result.ExitCode}: {result.Error.Trim()}");
            Assert.True(result.ExitCode == 2, $"dimint {string.Join(' ', args)}: {result}");
            Assert.False(string.IsNullOrWhiteSpace(result.Error), result.ToString());
            Assert.DoesNotContain('\n', result.Error.Trim());
        }

        var after = await fixture.JsonAsync("ring", "--json");
        Assert.Equal(before.GetProperty("version").GetInt64(), after.GetProperty("version").GetInt64());
        Assert.Equal(Layout(before), Layout(after));
        Assert.Equal(operationsBefore, (await fixture.JsonAsync("ops", "--json")).GetArrayLength());
    }

    [Fact]
    public async Task MoveMaster_ToAnotherSilo_EndsDone_RingShowsTheNewMaster_AndOpsListsIt()
    {
        var ring = await fixture.JsonAsync("ring", "--json");
        var holding = (await fixture.JsonAsync("status", "--json")).EnumerateArray()
            .Where(s => s.GetProperty("up").GetBoolean() && s.GetProperty("masterRanges").GetInt32() + s.GetProperty("replicaRanges").GetInt32() > 0)
            .Select(s => s.GetProperty("address").GetString()!)
            .ToArray();

        // The range with the most data, to a silo that holds no copy of it (and was not drained): its data is copied.
        var range = ring.GetProperty("ranges").EnumerateArray().OrderByDescending(r => r.GetProperty("keys").GetInt64()).First();
        var id = range.GetProperty("id").GetInt32();
        var keys = range.GetProperty("keys").GetInt64();
        var master = range.GetProperty("master").GetString()!;
        var replicas = range.GetProperty("replicas").EnumerateArray().Select(r => r.GetString()!).ToArray();
        var target = holding.First(s => s != master && !replicas.Contains(s));

        var result = await fixture.Cli.RunAsync("move", Text(id), "--to", Endpoint(target), "--json");
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        var op = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal("MoveMaster", op.GetProperty("kind").GetString());
        Assert.Equal("Done", op.GetProperty("state").GetString());
        Assert.Equal(target, op.GetProperty("target").GetString());
        Assert.Equal(100, op.GetProperty("progress").GetDouble());
        Assert.Equal(JsonValueKind.Number, op.GetProperty("fenceMs").ValueKind);
        Assert.True(op.GetProperty("bytesMoved").GetInt64() > 0, result.Output);
        Assert.Contains("done", result.Error, StringComparison.Ordinal); // the progress lines, on stderr beside --json

        var moved = (await fixture.JsonAsync("ring", "--json")).GetProperty("ranges").EnumerateArray().Single(r => r.GetProperty("id").GetInt32() == id);
        Assert.Equal(target, moved.GetProperty("master").GetString());
        Assert.True(moved.GetProperty("epoch").GetInt64() > range.GetProperty("epoch").GetInt64(), "the master changed, so the epoch grows");

        var listed = (await fixture.JsonAsync("ops", "--json")).EnumerateArray().Single(o => o.GetProperty("id").GetInt64() == op.GetProperty("id").GetInt64());
        Assert.Equal("Done", listed.GetProperty("state").GetString());
        Assert.Equal(id, listed.GetProperty("rangeId").GetInt32());
        Assert.Equal(0, (await fixture.Cli.RunAsync("ops")).ExitCode);

        await AssertEveryKeyReadsBackAsync();

        // The summary's key count is the range's: every key was copied once.
        Assert.True(keys > 0, "the fixture's keys reach every range");
        Assert.Equal(keys, op.GetProperty("keysMoved").GetInt64());
    }

    [Fact]
    public async Task Drain_LeavesTheSiloHoldingNothing_AndLosesNoKey()
    {
        var silos = (await fixture.JsonAsync("status", "--json")).EnumerateArray().ToArray();
        var victim = silos[^1].GetProperty("address").GetString()!;

        var result = await fixture.Cli.RunAsync("drain", Endpoint(victim));
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Drained {Endpoint(victim)}", result.Output, StringComparison.Ordinal);
        Assert.Contains("fence", result.Output, StringComparison.Ordinal);

        var drained = (await fixture.JsonAsync("status", "--json")).EnumerateArray().Single(s => s.GetProperty("address").GetString() == victim);
        Assert.True(drained.GetProperty("up").GetBoolean());
        Assert.Equal(0, drained.GetProperty("masterRanges").GetInt32());
        Assert.Equal(0, drained.GetProperty("replicaRanges").GetInt32());
        var ranges = (await fixture.JsonAsync("ring", "--json")).GetProperty("ranges").EnumerateArray().ToArray();
        Assert.All(ranges, r => Assert.NotEqual(victim, r.GetProperty("master").GetString()));
        Assert.All(ranges, r => Assert.DoesNotContain(victim, r.GetProperty("replicas").EnumerateArray().Select(x => x.GetString())));

        var drain = (await fixture.JsonAsync("ops", "--json")).EnumerateArray().First(o => o.GetProperty("kind").GetString() == "Drain" && o.GetProperty("source").GetString() == victim);
        Assert.Equal("Done", drain.GetProperty("state").GetString());

        await AssertEveryKeyReadsBackAsync();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>S127.0.0.1:11112:154695551</c> (a silo as <c>status</c> and <c>ring</c> print it) to <c>127.0.0.1:11112</c>.</summary>
    private static string Endpoint(string address)
    {
        var text = address.TrimStart('S');
        return text[..text.LastIndexOf(':')];
    }

    private static string[] Layout(JsonElement ring) =>
        [.. ring.GetProperty("ranges").EnumerateArray().Select(r => $"{r.GetProperty("id")} {r.GetProperty("start")} {r.GetProperty("master")} {r.GetProperty("epoch")}")];

    private async Task AssertEveryKeyReadsBackAsync()
    {
        var read = await fixture.Client.GetManyAsync(fixture.Entries.Keys);
        Assert.Equal(fixture.Entries.Count, read.Count);
        Assert.All(fixture.Entries, e => Assert.Equal(e.Value, read[e.Key]));
    }
}
