using System.Diagnostics;

namespace DiMint.Cli.Bench;

/// <summary>
/// When operations start and whether they count: before <see cref="MeasureFrom"/> they warm up; after it they are
/// measured until the duration has passed or the operation count is reached. Timestamps are <see cref="Stopwatch"/> ticks.
/// </summary>
internal sealed class BenchSchedule
{
    private readonly long? _measureUntil;
    private readonly long? _operations;
    private long _started;

    public BenchSchedule(long start, TimeSpan warmup, TimeSpan? duration, long? operations)
    {
        Start = start;
        MeasureFrom = start + Ticks(warmup);
        _measureUntil = duration is { } d ? MeasureFrom + Ticks(d) : null;
        _operations = operations;
    }

    public long Start { get; }

    public long MeasureFrom { get; }

    /// <summary>Whether an operation may start at <paramref name="now"/>; <paramref name="measured"/> says whether it counts.</summary>
    public bool TryStart(long now, out bool measured)
    {
        measured = now >= MeasureFrom;
        if (!measured)
        {
            return true;
        }

        if (now >= _measureUntil)
        {
            return false;
        }

        return _operations is not { } limit || Interlocked.Increment(ref _started) <= limit;
    }

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
