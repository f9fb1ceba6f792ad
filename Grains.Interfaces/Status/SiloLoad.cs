namespace DiMint;

/// <summary>
/// A silo's load counters since it started: range-grain calls and their latency, and the process's CPU time. The
/// counters only grow, so a reader derives rates (ops/s, CPU %) and latency percentiles from two samples.
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.SiloLoad")]
public sealed record SiloLoad
{
    /// <summary>
    /// Upper bounds, in microseconds, of the latency buckets in <see cref="LatencyBuckets"/>; the last bucket has no bound.
    /// </summary>
    public static readonly long[] LatencyBoundsMicroseconds =
        [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000];

    /// <summary>Range-grain reads served (get, exists, batched gets).</summary>
    [Id(0)]
    public required long Reads { get; init; }

    /// <summary>Range-grain writes served (set, delete, batched sets).</summary>
    [Id(1)]
    public required long Writes { get; init; }

    /// <summary>Range-grain calls that ended in an exception.</summary>
    [Id(2)]
    public required long Errors { get; init; }

    /// <summary>
    /// Reads and writes per latency bucket: element <c>i</c> counts calls that took at most
    /// <see cref="LatencyBoundsMicroseconds"/>[i]; the last element counts the slower ones.
    /// </summary>
    [Id(3)]
    public required long[] LatencyBuckets { get; init; }

    /// <summary>The summed latency of the reads and writes, in microseconds.</summary>
    [Id(4)]
    public required long LatencySumMicroseconds { get; init; }

    /// <summary>CPU time the process has used, over all cores.</summary>
    [Id(5)]
    public required TimeSpan CpuTime { get; init; }

    /// <summary>Cores the process may use.</summary>
    [Id(6)]
    public required int ProcessorCount { get; init; }

    /// <summary>When the sample was taken (the silo's clock).</summary>
    [Id(7)]
    public required DateTimeOffset SampledAt { get; init; }
}
