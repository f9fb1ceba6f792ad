namespace DiMint;

/// <summary>What a master sends a replica in one call: writes in sequence, or a part of a snapshot.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicationBatch")]
public sealed record ReplicationBatch
{
    /// <summary>The range.</summary>
    [Id(0)]
    public required RangeInfo Range { get; init; }

    /// <summary>What the batch carries.</summary>
    [Id(1)]
    public required ReplicationBatchKind Kind { get; init; }

    /// <summary>The sequence number of the first op (Ops), or the snapshot's sequence number (snapshot kinds).</summary>
    [Id(2)]
    public required long FirstSeq { get; init; }

    /// <summary>The writes (Ops), or the snapshot's entries as sets (SnapshotChunk).</summary>
    [Id(3)]
    public ReplicationOp[] Ops { get; init; } = [];

    /// <summary>
    /// The epoch whose writes the master's copy continues (its copy's source epoch): a complete replica of that epoch at
    /// the right sequence number follows the new master without a snapshot.
    /// </summary>
    [Id(4)]
    public long LineageEpoch { get; init; }
}
