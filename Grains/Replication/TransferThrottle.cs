namespace DiMint.Grains.Replication;

/// <summary>
/// The arithmetic of <see cref="Hosting.RebalanceOptions.TransferBytesPerSecond"/>: how long a transfer waits so that it
/// averages no more than the rate since it started. Pure, so it is tested without a clock; a snapshot's feed waits it
/// out between chunks.
/// </summary>
internal static class TransferThrottle
{
    /// <summary>
    /// How long a transfer that sent <paramref name="bytesSent"/> bytes in <paramref name="elapsed"/> waits before it
    /// sends more, so that it has averaged at most <paramref name="bytesPerSecond"/>: zero when it is not ahead of the
    /// rate, or the rate is 0 (unthrottled). Rounded up to a whole tick, so a transfer that waits this long is never above
    /// the rate; capped at <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    public static TimeSpan Delay(long bytesSent, long bytesPerSecond, TimeSpan elapsed)
    {
        if (bytesPerSecond <= 0 || bytesSent <= 0)
        {
            return TimeSpan.Zero;
        }

        // Int128: bytes times ticks per second overflows a long from 922 GB on.
        var dueTicks = (((Int128)bytesSent * TimeSpan.TicksPerSecond) + bytesPerSecond - 1) / bytesPerSecond;
        var wait = dueTicks - elapsed.Ticks;
        return wait <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Int128.Min(wait, TimeSpan.MaxValue.Ticks));
    }
}
