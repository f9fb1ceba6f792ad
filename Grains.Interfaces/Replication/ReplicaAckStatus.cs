namespace DiMint;

/// <summary>How a replica answered a batch.</summary>
public enum ReplicaAckStatus
{
    /// <summary>Applied (or already applied: batches are idempotent).</summary>
    Ok = 0,

    /// <summary>The batch does not follow what the replica holds: send a snapshot.</summary>
    NeedSnapshot = 1,

    /// <summary>The replica follows a newer master (a higher epoch): the sender is no longer the master.</summary>
    StaleEpoch = 2,
}
