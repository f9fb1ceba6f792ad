using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>How long the overlord lets a silo go unheard, from the stalls it and the silo measured lately.</summary>
public sealed class SilenceAllowanceTests
{
    private static readonly ReplicationOptions Options = new() { FailoverTimeout = TimeSpan.FromMilliseconds(600), MaxFailoverTimeout = TimeSpan.FromSeconds(3) };

    [Theory]
    [InlineData(0, 0, 600)]      // nobody stalled: the short timeout
    [InlineData(250, 100, 600)]  // short stalls: twice them is still within it
    [InlineData(850, 0, 1700)]   // the silo stalled 0.85 s: twice that
    [InlineData(0, 850, 1700)]   // the overlord's own process did
    [InlineData(400, 900, 1800)] // the longer of the two counts
    [InlineData(2000, 0, 3000)]  // a silo that stalls for seconds still fails over within the maximum
    [InlineData(5000, 0, 600)]   // a stall longer than the maximum (the silo was stopped) is not allowed for
    [InlineData(5000, 900, 1800)]
    public void Of_TwiceTheLongerRecentStall_BetweenTheTimeoutAndItsMaximum_IgnoringStallsBeyondIt(int siloStallMs, int ownStallMs, int allowedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(allowedMs),
            SilenceAllowance.Of(TimeSpan.FromMilliseconds(siloStallMs), TimeSpan.FromMilliseconds(ownStallMs), Options));

    [Fact]
    public void Of_AMaximumBelowTheTimeout_AllowsForNoStall() =>
        Assert.Equal(
            TimeSpan.FromSeconds(40),
            SilenceAllowance.Of(TimeSpan.FromSeconds(2), TimeSpan.Zero, new ReplicationOptions { FailoverTimeout = TimeSpan.FromSeconds(40), MaxFailoverTimeout = TimeSpan.FromSeconds(3) }));
}
