namespace DiMint;

/// <summary>A replica's answer to a <see cref="ReplicationBatch"/>.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicaAck")]
public sealed record ReplicaAck
{
    /// <summary>Ok, or what the master must do.</summary>
    [Id(0)]
    public required ReplicaAckStatus Status { get; init; }

    /// <summary>The last sequence number the replica has applied.</summary>
    [Id(1)]
    public required long AppliedSeq { get; init; }

    /// <summary>The newest epoch the replica knows for the range.</summary>
    [Id(2)]
    public required long Epoch { get; init; }
}
