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

    /// <summary>
    /// Refuses masters older than <paramref name="epoch"/> from now on (the overlord calls it before promoting), and
    /// answers once the replica's promise to the old master has run out, or at once when that master is
    /// <paramref name="oldMaster"/> at <paramref name="oldEpoch"/> and its silo port refuses connections (its runtime is
    /// gone, and with it every read it could serve).
    /// </summary>
    [Alias("Fence")]
    Task<ReplicaState> FenceAsync(int rangeId, long epoch, SiloAddress? oldMaster = null, long oldEpoch = 0);

    /// <summary>
    /// What the replica holds. With <paramref name="includeMaster"/> (the overlord, choosing a copy to promote), a master's
    /// copy on this silo counts too; a feed resuming a replica leaves it out (it may hold writes no other copy has).
    /// </summary>
    [Alias("GetState")]
    Task<ReplicaState> GetStateAsync(int rangeId, bool includeMaster = false);

    /// <summary>Reads one key from the replica (query offloading); Moved when it does not replicate the key's range.</summary>
    [Alias("Get")]
    Task<ReadResult> GetAsync(string key, long ringVersion);

    /// <summary>Drops this silo's replica copy of <paramref name="rangeId"/> (the range moved away, split or merged).</summary>
    [Alias("Drop")]
    Task DropAsync(int rangeId);

    /// <summary>
    /// Splits this silo's copy into copies of <paramref name="lower"/> and <paramref name="upper"/> in place, when it holds
    /// exactly the writes up to <paramref name="seq"/> of epoch <paramref name="sourceEpoch"/>; false (nothing done) when not.
    /// The old copy stays until dropped.
    /// </summary>
    [Alias("Split")]
    Task<bool> SplitAsync(int rangeId, long sourceEpoch, long seq, RangeInfo lower, RangeInfo upper);

    /// <summary>
    /// Builds a copy of <paramref name="merged"/> in place from this silo's copies of two adjacent ranges, when each holds
    /// exactly the writes its master had at the fence; false (nothing done) when not.
    /// </summary>
    [Alias("Merge")]
    Task<bool> MergeAsync(MergeSource lower, MergeSource upper, RangeInfo merged);
}
