using System.Diagnostics;

namespace DiMint.Grains.Silos;

/// <summary>Counts the range-grain reads and writes this silo serves and how long they take.</summary>
internal sealed class RangeCallCounter
{
    private readonly long[] _buckets = new long[SiloLoad.LatencyBoundsMicroseconds.Length + 1];
    private long _reads;
    private long _writes;
    private long _errors;
    private long _latencySumMicroseconds;

    /// <summary>Records one call of <paramref name="method"/> (an <see cref="IRangeGrain"/> method name).</summary>
    public void Record(string? method, long elapsedTimestamp, bool failed)
    {
        switch (method)
        {
            case nameof(IRangeGrain.GetAsync) or nameof(IRangeGrain.ExistsAsync) or nameof(IRangeGrain.GetManyAsync):
                Interlocked.Increment(ref _reads);
                break;
            case nameof(IRangeGrain.SetAsync) or nameof(IRangeGrain.DeleteAsync) or nameof(IRangeGrain.SetManyAsync):
                Interlocked.Increment(ref _writes);
                break;
            default:
                // Stats, splits and replication are not client operations.
                return;
        }

        if (failed)
        {
            Interlocked.Increment(ref _errors);
        }

        var micros = (long)(elapsedTimestamp * 1_000_000.0 / Stopwatch.Frequency);
        Interlocked.Add(ref _latencySumMicroseconds, micros);
        Interlocked.Increment(ref _buckets[BucketOf(micros)]);
    }

    /// <summary>The counters now.</summary>
    public SiloLoad Snapshot(TimeProvider time)
    {
        var buckets = new long[_buckets.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = Volatile.Read(ref _buckets[i]);
        }

        using var process = Process.GetCurrentProcess();
        return new SiloLoad
        {
            Reads = Volatile.Read(ref _reads),
            Writes = Volatile.Read(ref _writes),
            Errors = Volatile.Read(ref _errors),
            LatencyBuckets = buckets,
            LatencySumMicroseconds = Volatile.Read(ref _latencySumMicroseconds),
            CpuTime = process.TotalProcessorTime,
            ProcessorCount = Environment.ProcessorCount,
            SampledAt = time.GetUtcNow(),
        };
    }

    private static int BucketOf(long micros)
    {
        var bounds = SiloLoad.LatencyBoundsMicroseconds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (micros <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }
}
