using DiMint.Faults;

namespace DiMint.Faults.Tests.Run;

/// <summary>A fault run with a bad option says which option and why, before it starts any cluster.</summary>
public sealed class FaultRunOptionsTests
{
    [Theory]
    [InlineData("--repeat", "5,3", "given more than once")]
    [InlineData("--silos", "five", "--silos takes one whole number")]
    [InlineData("--seed", "1.5", "--seed takes one whole number")]
    public async Task ABadNumber_IsRefused_NamingTheOption(string option, string value, string said)
    {
        var lines = new List<string>();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => FaultRun.RunAsync(new Dictionary<string, string> { [option] = value }, lines.Add));

        Assert.Contains(said, refused.Message, StringComparison.Ordinal);
        Assert.Contains(option, refused.Message, StringComparison.Ordinal);
        Assert.Empty(lines);
    }

    [Fact]
    public async Task AnUnknownSchedule_IsRefused_ListingTheKnownOnes()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => FaultRun.RunAsync(new Dictionary<string, string> { ["--schedule"] = "no-such-schedule" }, _ => { }));

        Assert.Contains("no-such-schedule", refused.Message, StringComparison.Ordinal);
        Assert.Contains("kill9-master", refused.Message, StringComparison.Ordinal);
    }
}
