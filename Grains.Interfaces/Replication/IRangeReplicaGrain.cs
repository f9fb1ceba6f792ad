namespace DiMint;

/// <summary>
/// A replica of one range on one silo (key <c>rangeId/silo</c>, pinned to that silo). It applies its master's writes
/// in sequence, refuses a master older than the newest epoch it has seen, and serves replica reads.
/// </summary>
[Alias("DiMint.IRangeReplicaGrain")]
public interface IRangeReplicaGrain : IGrainWithStringKey
{
    /// <summary>Applies a batch from the master; idempotent.</summary>
    [Alias("Apply")]
    Task<ReplicaAck> ApplyAsync(ReplicationBatch batch);

    /// <summary>Refuses masters older than <paramref name="epoch"/> from now on (the overlord calls it before promoting).</summary>
    [Alias("Fence")]
    Task<ReplicaState> FenceAsync(int rangeId, long epoch);

    /// <summary>What the replica holds.</summary>
    [Alias("GetState")]
    Task<ReplicaState> GetStateAsync(int rangeId);

    /// <summary>Reads one key from the replica (query offloading); Moved when it does not replicate the key's range.</summary>
    [Alias("Get")]
    Task<ReadResult> GetAsync(string key, long ringVersion);
}
