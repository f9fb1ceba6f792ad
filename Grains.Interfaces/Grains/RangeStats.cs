namespace DiMint;

/// <summary>What one range holds.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeStats")]
public sealed record RangeStats
{
    /// <summary>The range id.</summary>
    [Id(0)]
    public required int RangeId { get; init; }

    /// <summary>Entries stored.</summary>
    [Id(1)]
    public required long Keys { get; init; }

    /// <summary>Bytes of keys (UTF-8) and encoded values stored.</summary>
    [Id(2)]
    public required long Bytes { get; init; }

    /// <summary>The last write sequence number applied.</summary>
    [Id(3)]
    public long AppliedSeq { get; init; }

    /// <summary>True for a master copy, false for a replica.</summary>
    [Id(4)]
    public bool IsMaster { get; init; } = true;

    /// <summary>The epoch the copy belongs to.</summary>
    [Id(5)]
    public long Epoch { get; init; }

    /// <summary>For a master: how many writes its slowest replica is behind (replication lag), else 0.</summary>
    [Id(6)]
    public long ReplicaLag { get; init; }

    /// <summary>For a master: how many of its replicas hold a complete copy and follow it.</summary>
    [Id(7)]
    public int ReplicasInSync { get; init; }

    /// <summary>How many of the entries have an expiry.</summary>
    [Id(8)]
    public long ExpiringKeys { get; init; }
}
