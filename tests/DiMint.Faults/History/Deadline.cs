using System.Diagnostics;

namespace DiMint.Faults.History;

/// <summary>Deadlines as <see cref="Stopwatch.GetTimestamp"/> values, the cheapest clock to poll in a hot loop.</summary>
internal static class Deadline
{
    public static long After(TimeSpan timeout)
    {
        var now = Stopwatch.GetTimestamp();
        var ticks = timeout.TotalSeconds * Stopwatch.Frequency;

        // TimeSpan.MaxValue (no limit) must not overflow into the past.
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    public static bool HasPassed(long deadline) => Stopwatch.GetTimestamp() > deadline;
}
