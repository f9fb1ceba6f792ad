namespace DiMint.Dashboard.Monitoring;

/// <summary>One silo as the dashboard shows it (<c>/api/silos</c>).</summary>
public sealed record SiloView
{
    /// <summary>The silo's address, <c>host:port@generation</c> (its id on the page and in <see cref="RangeView.Master"/>).</summary>
    public required string Address { get; init; }

    /// <summary><c>host:port</c> of the silo-to-silo endpoint.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Whether the silo is an active member and answered the last sample.</summary>
    public required bool Up { get; init; }

    /// <summary>Orleans membership status (Active, Dead, Joining, ShuttingDown ...).</summary>
    public required string Membership { get; init; }

    /// <summary>"leader" for the silo the overlord runs on, "standby" for the silos that would take it over, else null.</summary>
    public string? Overlord { get; init; }

    /// <summary>The client gateway, when known.</summary>
    public string? Gateway { get; init; }

    /// <summary>The process id on its host, when known.</summary>
    public int? ProcessId { get; init; }

    /// <summary>When the process started, when known.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Seconds since the process started, when known.</summary>
    public double? UptimeSeconds { get; init; }

    /// <summary>CPU used over the last sample, percent of all cores.</summary>
    public double? CpuPercent { get; init; }

    /// <summary>The process working set, bytes.</summary>
    public long MemoryBytes { get; init; }

    /// <summary>The managed heap, bytes.</summary>
    public long HeapBytes { get; init; }

    /// <summary>Ranges whose master copy the silo holds.</summary>
    public int MasterRanges { get; init; }

    /// <summary>Ranges the silo holds a replica of.</summary>
    public int ReplicaRanges { get; init; }

    /// <summary>Entries held.</summary>
    public long Keys { get; init; }

    /// <summary>Bytes of keys and values held.</summary>
    public long Bytes { get; init; }

    /// <summary>Reads per second over the last sample.</summary>
    public double ReadsPerSecond { get; init; }

    /// <summary>Writes per second over the last sample.</summary>
    public double WritesPerSecond { get; init; }

    /// <summary>Reads and writes per second over the last sample.</summary>
    public double OpsPerSecond => ReadsPerSecond + WritesPerSecond;

    /// <summary>Median range-call latency over the last sample, ms (null with no calls).</summary>
    public double? LatencyP50Ms { get; init; }

    /// <summary>99th percentile range-call latency over the last sample, ms (null with no calls).</summary>
    public double? LatencyP99Ms { get; init; }

    /// <summary>Reads served since the silo started.</summary>
    public long TotalReads { get; init; }

    /// <summary>Writes served since the silo started.</summary>
    public long TotalWrites { get; init; }
}
