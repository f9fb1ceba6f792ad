using CsCheck;
using DiMint.Grains.Replication;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// How long a copy waits between chunks to keep to <c>TransferBytesPerSecond</c>; <see cref="CopyTests"/>
/// shows a real copy held to it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TransferThrottleTests
{
    private const long KiB = 1024;

    [Fact]
    public void Delay_AheadOfTheRate_WaitsUntilTheAverageIsTheRate()
    {
        // 1 MiB at 256 KiB/s takes 4 s; one has passed.
        var delay = TransferThrottle.Delay(1024 * KiB, 256 * KiB, TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(3), delay);
    }

    [Theory]
    [InlineData(256 * KiB, 1000)]
    [InlineData(256 * KiB, 5000)]
    [InlineData(0, 0)]
    public void Delay_OnOrBehindTheRate_DoesNotWait(long bytesSent, int elapsedMilliseconds)
    {
        var delay = TransferThrottle.Delay(bytesSent, 256 * KiB, TimeSpan.FromMilliseconds(elapsedMilliseconds));

        Assert.Equal(TimeSpan.Zero, delay);
    }

    [Fact]
    public void Delay_Unthrottled_NeverWaits()
    {
        var delay = TransferThrottle.Delay(long.MaxValue, bytesPerSecond: 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.Zero, delay);
    }

    [Fact]
    public void Delay_MoreThanATimeSpanHolds_WaitsTheLongestTimeSpan()
    {
        var delay = TransferThrottle.Delay(long.MaxValue, bytesPerSecond: 1, TimeSpan.Zero);

        Assert.Equal(TimeSpan.MaxValue, delay);
    }

    [Fact]
    public void Delay_Any_LeavesTheTransferAtMostAtTheRate_AndWaitsNoLonger()
    {
        Gen.Select(Gen.Long[0, 1L << 40], Gen.Long[1, 10L << 30], Gen.Long[0, TimeSpan.FromHours(1).Ticks]).Sample((sent, rate, elapsed) =>
        {
            var delay = TransferThrottle.Delay(sent, rate, TimeSpan.FromTicks(elapsed)).Ticks;

            // In ticks, exactly: bytes sent over the time waited out, against the rate.
            var allowed = (Int128)(elapsed + delay) * rate;
            var needed = (Int128)sent * TimeSpan.TicksPerSecond;
            Assert.True(delay >= 0, $"{sent} B at {rate} B/s after {elapsed} ticks waits {delay} ticks");
            Assert.True(allowed >= needed, $"{sent} B at {rate} B/s after {elapsed} ticks waits only {delay} ticks");
            Assert.True(delay == 0 || allowed - rate < needed, $"{sent} B at {rate} B/s after {elapsed} ticks waits {delay} ticks, longer than needed");
        });
    }
}
