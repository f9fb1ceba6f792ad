namespace DiMint.Cli.Bench;

/// <summary>A benchmark run's results, as printed and as written by <c>--json</c>.</summary>
internal sealed record BenchResult
{
    public required string Target { get; init; }

    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>What answered at the endpoints (product, version, nodes), when the target could tell.</summary>
    public string? Server { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public required BenchWorkload Workload { get; init; }

    /// <summary>The load phase, or null with <c>--no-load</c>.</summary>
    public required BenchLoad? Load { get; init; }

    /// <summary>The measured time: from the end of the warm-up to the last measured operation's completion.</summary>
    public required double Seconds { get; init; }

    /// <summary>Successful operations per second over <see cref="Seconds"/>.</summary>
    public required double OpsPerSecond { get; init; }

    public required long Operations { get; init; }

    /// <summary>Failed requests, and reads of loaded keys that were missing or held the wrong value.</summary>
    public required long Errors { get; init; }

    /// <summary>Reads of keys not stored (errors too when the keys were loaded).</summary>
    public required long Misses { get; init; }

    public required string? FirstError { get; init; }

    public required BenchLatencies Latency { get; init; }

    /// <summary>The run's progress intervals, warm-up included (what <c>--chart</c> draws).</summary>
    public IReadOnlyList<BenchSample> Timeline { get; init; } = [];

    public required MachineInfo Machine { get; init; }
}
