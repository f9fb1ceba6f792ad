namespace DiMint;

/// <summary>One silo as the cluster sees it.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.NodeStatus")]
public sealed record NodeStatus
{
    /// <summary>The silo's address (<c>host:port:generation</c>).</summary>
    [Id(0)]
    public required SiloAddress Address { get; init; }

    /// <summary>Whether the silo is an active cluster member that answered.</summary>
    [Id(1)]
    public required bool IsUp { get; init; }

    /// <summary>Orleans' membership status (Active, Dead, Joining ...).</summary>
    [Id(2)]
    public required string MembershipStatus { get; init; }

    /// <summary>Ranges whose master copy lives on the silo.</summary>
    [Id(3)]
    public int MasterRanges { get; init; }

    /// <summary>Entries held on the silo.</summary>
    [Id(4)]
    public long Keys { get; init; }

    /// <summary>Bytes of keys and encoded values held on the silo.</summary>
    [Id(5)]
    public long Bytes { get; init; }

    /// <summary>The silo process's working set, in bytes.</summary>
    [Id(6)]
    public long ProcessMemoryBytes { get; init; }

    /// <summary>The managed heap size after the last GC, in bytes.</summary>
    [Id(7)]
    public long ManagedHeapBytes { get; init; }

    /// <summary>When the silo process started (UTC).</summary>
    [Id(8)]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The silo's client gateway, if it has one.</summary>
    [Id(9)]
    public string? Gateway { get; init; }

    /// <summary>The process id on its host.</summary>
    [Id(10)]
    public int ProcessId { get; init; }

    /// <summary>
    /// Range copies the silo holds, master and replica, as it reported them: the ring's (its master and replica ranges), a
    /// move's target being copied, and copies the ring left behind until the overlord's next sweep drops them.
    /// </summary>
    [Id(11)]
    public int CopiesHeld { get; init; }

    /// <summary>Connections open on the silo's data port now (clients' and other silos').</summary>
    [Id(12)]
    public int DataPortConnections { get; init; }

    /// <summary>Client batches the silo's data port received since it started (the rest come as Orleans calls).</summary>
    [Id(13)]
    public long DataPortClientBatches { get; init; }

    /// <summary>Connections the silo's data port refused since it started: without the cluster secret or the cluster's TLS.</summary>
    [Id(14)]
    public long DataPortRefused { get; init; }
}
