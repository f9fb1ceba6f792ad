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

    /// <summary>Connections open on the silo's data port now (clients' and other silos').</summary>
    [Id(6)]
    public int DataPortConnections { get; init; }

    /// <summary>Client batches the silo's data port received since it started (the rest come as Orleans calls).</summary>
    [Id(7)]
    public long DataPortClientBatches { get; init; }

    /// <summary>Connections the silo's data port refused since it started: without the cluster secret or the cluster's TLS.</summary>
    [Id(8)]
    public long DataPortRefused { get; init; }
}
