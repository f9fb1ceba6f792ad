using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>Bad input on the command line gets a clear message and exit code 2, without touching any cluster.</summary>
[Trait("Category", "Process")]
public sealed class CommandLineTests
{
    private readonly DimintCli _cli = new(Path.Combine(Path.GetTempPath(), "dimint-cli-no-cluster"));

    [Theory]
    [InlineData("set", "k", "{not json")]
    [InlineData("set", "k", """{"$set": 1}""")]
    [InlineData("set", "k", """{"$bytes": "@@"}""")]
    [InlineData("set", "", "1")]
    [InlineData("get")]
    [InlineData("frobnicate")]
    [InlineData("get", "k", "--gateway", "no-port-here")]
    [InlineData("split", "1", "--at", "0xZZ")]
    [InlineData("up", "--silos", "0")]
    [InlineData("sim", "--silos", "1")]
    [InlineData("sim", "--ranges", "0")]
    public async Task BadInput_ExitsWithCode2_AndSaysWhy(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(string.IsNullOrWhiteSpace(result.Error), result.ToString());
    }

    [Fact]
    public async Task Help_DocumentsTheValueNotationAndExitCodes()
    {
        var root = await _cli.RunAsync("--help");
        var set = await _cli.RunAsync("set", "--help");

        Assert.Equal(0, root.ExitCode);
        Assert.Contains("Exit codes", root.Output, StringComparison.Ordinal);
        Assert.Contains("$set", set.Output, StringComparison.Ordinal);
        Assert.Contains("$bytes", set.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sim_ReportsTheStoredRing_ADeathAndAJoin_OfASimulatedCluster()
    {
        var result = await _cli.RunAsync("sim", "--silos", "20", "--ranges", "400");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("20 silos, 400 ranges", result.Output, StringComparison.Ordinal);
        Assert.Contains("20 ranges promoted", result.Output, StringComparison.Ordinal);
        Assert.Contains("60 copies to make", result.Output, StringComparison.Ordinal);
        Assert.Contains("the joined silo then holds", result.Output, StringComparison.Ordinal);
    }
}
