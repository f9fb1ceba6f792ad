namespace DiMint;

/// <summary>What a master sends a replica in one call: writes in sequence, or a part of a snapshot.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicationBatch")]
public sealed record ReplicationBatch
{
    [Id(0)]
    private readonly RangeInfo? _range;

    /// <summary>
    /// The range as the master knows it (setting it sets <see cref="RangeId"/> and <see cref="Epoch"/>). Every snapshot
    /// batch carries it; a batch of writes only when the range changed since the replica last acknowledged it (null
    /// otherwise: the replica keeps the one it holds, and one it does not hold asks for a snapshot).
    /// </summary>
    public RangeInfo? Range
    {
        get => _range;
        init
        {
            _range = value;
            if (value is not null)
            {
                RangeId = value.Id;
                Epoch = value.Epoch;
            }
        }
    }

    /// <summary>The range's id.</summary>
    [Id(5)]
    public int RangeId { get; init; }

    /// <summary>The master's epoch.</summary>
    [Id(6)]
    public long Epoch { get; init; }

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

    /// <summary>
    /// With <see cref="ReplicationBatchKind.Ops"/>: the oldest write the master still keeps for some replica. The replica
    /// keeps its own log of writes from there, so that promoted it resumes the others where they stand (0: keep all).
    /// </summary>
    [Id(8)]
    public long KeptFrom { get; init; }

    /// <summary>With <see cref="ReplicationBatchKind.SnapshotEnd"/>: the clients' writes the snapshot holds, by id.</summary>
    [Id(7)]
    public ClientSession[] Sessions { get; init; } = [];
}
