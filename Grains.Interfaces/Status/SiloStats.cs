namespace DiMint;

/// <summary>What a silo reports about itself to the overlord.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.SiloStats")]
public sealed record SiloStats
{
    /// <summary>Per range held on the silo.</summary>
    [Id(0)]
    public required RangeStats[] Ranges { get; init; }

    /// <summary>The process's working set, in bytes.</summary>
    [Id(1)]
    public required long ProcessMemoryBytes { get; init; }

    /// <summary>The managed heap after the last GC, in bytes.</summary>
    [Id(2)]
    public required long ManagedHeapBytes { get; init; }

    /// <summary>When the process started (UTC).</summary>
    [Id(3)]
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The process id.</summary>
    [Id(4)]
    public required int ProcessId { get; init; }

    /// <summary>The silo's client gateway (<c>host:port</c>), if it has one.</summary>
    [Id(5)]
    public string? Gateway { get; init; }
}
