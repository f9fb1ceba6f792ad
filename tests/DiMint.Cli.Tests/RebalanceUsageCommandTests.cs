using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>The rebalancing commands' help and their argument checks made before any cluster is asked.</summary>
[Trait("Category", "Process")]
public sealed class RebalanceUsageCommandTests
{
    private readonly DimintCli _cli = new(Path.Combine(Path.GetTempPath(), "dimint-cli-no-cluster"));

    [Theory]
    [InlineData("split", "abc")]
    [InlineData("merge", "1", "x")]
    [InlineData("merge", "3", "3")]
    [InlineData("move", "1")]
    [InlineData("move", "1", "--to", "127.0.0.1:11112", "--from", "127.0.0.1:11111")]
    [InlineData("split", "1", "--at", "0x1ffffffffffffffff")]
    [InlineData("drain")]
    [InlineData("ops", "--follow")]
    public async Task BadArguments_ExitWithCode2_AndSayWhy(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(string.IsNullOrWhiteSpace(result.Error), result.ToString());
    }

    [Theory]
    [InlineData("split", "--at", "bytes divide in half")]
    [InlineData("merge", "RANGE2", "adjacent")]
    [InlineData("move", "--replica", "fence")]
    [InlineData("drain", "SILO", "nothing lost")]
    [InlineData("rebalance", "--dry-run", "plans")]
    [InlineData("ops", "--json", "rate")]
    public async Task Help_SaysWhatTheCommandDoes(string command, string option, string phrase)
    {
        var result = await _cli.RunAsync(command, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(option, result.Output, StringComparison.Ordinal);
        Assert.Contains(phrase, result.Output, StringComparison.Ordinal);
    }
}
