namespace DiMint;

/// <summary>A range of the ring with what it holds.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeStatusInfo")]
public sealed record RangeStatusInfo
{
    /// <summary>The range and where it lives.</summary>
    [Id(0)]
    public required RangeInfo Range { get; init; }

    /// <summary>Entries held, or -1 when the master did not answer or the range was changing hands (split, merged or moved) as it was asked.</summary>
    [Id(1)]
    public long Keys { get; init; }

    /// <summary>Bytes held, or -1 when unknown (as for <see cref="Keys"/>).</summary>
    [Id(2)]
    public long Bytes { get; init; }

    /// <summary>How many writes the slowest replica is behind the master (replication lag), or -1 when unknown.</summary>
    [Id(3)]
    public long ReplicaLag { get; init; } = -1;

    /// <summary>The master's last write sequence number.</summary>
    [Id(4)]
    public long AppliedSeq { get; init; }

    /// <summary>How many of the range's replicas hold a complete copy and follow its master, or -1 when unknown.</summary>
    [Id(5)]
    public int ReplicasInSync { get; init; } = -1;

    /// <summary>How many of the entries have an expiry (0 when unknown).</summary>
    [Id(6)]
    public long ExpiringKeys { get; init; }
}
