namespace DiMint.Cli.Bench;

/// <summary>A benchmark's workload and where its results go, as validated from the command line.</summary>
internal sealed record BenchSettings
{
    /// <summary>The skew of <see cref="KeyDistribution.Zipfian"/> (YCSB's default).</summary>
    public const double ZipfianTheta = 0.99;

    public required string Target { get; init; }

    /// <summary>Size of the key space: keys <c>bench:0</c> to <c>bench:{Keys - 1}</c>.</summary>
    public required long Keys { get; init; }

    public required int ValueSize { get; init; }

    /// <summary>The share of operations that are reads (0 to 1); the rest are writes.</summary>
    public required double ReadRatio { get; init; }

    /// <summary>Operations in flight at once.</summary>
    public required int Concurrency { get; init; }

    /// <summary>How long to measure after the warm-up, or null when <see cref="Operations"/> bounds the run.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How many operations to measure after the warm-up, or null when <see cref="Duration"/> bounds the run.</summary>
    public long? Operations { get; init; }

    public required KeyDistribution Distribution { get; init; }

    public required TimeSpan Warmup { get; init; }

    /// <summary>Whether to store every key before the run, so reads find them.</summary>
    public required bool Load { get; init; }

    /// <summary>Seeds the values and each worker's stream of keys and operations, so runs repeat.</summary>
    public required int Seed { get; init; }

    public string? JsonPath { get; init; }

    /// <summary>Where to draw the run as a PNG (<see cref="BenchChart"/>), if anywhere.</summary>
    public string? ChartPath { get; init; }
}
