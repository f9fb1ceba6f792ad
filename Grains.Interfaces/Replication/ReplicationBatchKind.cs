namespace DiMint;

/// <summary>What a <see cref="ReplicationBatch"/> carries.</summary>
public enum ReplicationBatchKind
{
    /// <summary>Writes <c>FirstSeq .. FirstSeq + Ops.Length - 1</c>, to apply in order.</summary>
    Ops = 0,

    /// <summary>The replica drops what it holds: a snapshot of the master at <c>FirstSeq</c> follows.</summary>
    SnapshotStart = 1,

    /// <summary>A chunk of the snapshot's entries.</summary>
    SnapshotChunk = 2,

    /// <summary>The snapshot is complete; the replica has applied everything up to <c>FirstSeq</c>.</summary>
    SnapshotEnd = 3,
}
