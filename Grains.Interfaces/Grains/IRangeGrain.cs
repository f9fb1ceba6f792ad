namespace DiMint;

/// <summary>
/// The master copy of one range of the ring, held in memory on the silo its key names
/// (see <see cref="RangeInfo.GrainKey"/>). Every request carries the ring version the caller routed with;
/// a key the grain does not own is answered <see cref="RangeStatus.Moved"/> with the newer ring.
/// </summary>
[Alias("DiMint.IRangeGrain")]
public interface IRangeGrain : IGrainWithStringKey
{
    /// <summary>Reads one key.</summary>
    [Alias("Get")]
    Task<ReadResult> GetAsync(string key, long ringVersion);

    /// <summary>Tells whether a key is stored (Ok) or not (NotFound), without sending the value.</summary>
    [Alias("Exists")]
    Task<ReadResult> ExistsAsync(string key, long ringVersion);

    /// <summary>Stores one encoded value.</summary>
    [Alias("Set")]
    Task<WriteResult> SetAsync(string key, byte[] value, long ringVersion, WriteIds? ids = null);

    /// <summary>Removes one key: Ok if it was stored, NotFound if not.</summary>
    [Alias("Delete")]
    Task<WriteResult> DeleteAsync(string key, long ringVersion, WriteIds? ids = null);

    /// <summary>
    /// A write worked out from the key's current value at the master (a conditional set, an increment, an expiry change),
    /// answered once a write quorum holds it; or, for <see cref="KeyUpdateKind.Inspect"/>, the value as readers see it.
    /// </summary>
    [Alias("Update")]
    Task<UpdateResult> UpdateAsync(string key, KeyUpdate update, long ringVersion, WriteIds? ids = null);

    /// <summary>Reads many keys of this range in one call.</summary>
    [Alias("GetMany")]
    Task<BatchReadResult> GetManyAsync(string[] keys, long ringVersion);

    /// <summary>Stores many entries of this range in one call: all of them, or none when Moved.</summary>
    [Alias("SetMany")]
    Task<WriteResult> SetManyAsync(string[] keys, byte[][] values, long ringVersion, WriteIds? ids = null);

    /// <summary>
    /// Tells the master its range as the overlord has it now (its replica set, after a failover or when silos
    /// joined); the master starts feeding new replicas. Called by the overlord only.
    /// </summary>
    [Alias("Configure")]
    Task<RangeStats> ConfigureAsync(RangeInfo range, long ringVersion);

    /// <summary>What the range holds.</summary>
    [Alias("GetStats")]
    Task<RangeStats> GetStatsAsync();

    /// <summary>
    /// The hash that divides the range's bytes into two nearly equal halves, or null when the range
    /// holds fewer than two distinct hashes.
    /// </summary>
    [Alias("GetSplitPoint")]
    Task<ulong?> GetSplitPointAsync();

    /// <summary>
    /// Starts copying the range to <paramref name="target"/> (a move's target): a chunked, throttled snapshot, then the
    /// writes made meanwhile, as to a replica that does not count toward acknowledgements yet. Idempotent. Overlord only.
    /// </summary>
    [Alias("StartCopy")]
    Task<CopyProgress> StartCopyAsync(long operationId, SiloAddress target);

    /// <summary>How far the copy of <see cref="StartCopyAsync"/> has come. Overlord only.</summary>
    [Alias("GetCopyProgress")]
    Task<CopyProgress> GetCopyProgressAsync(long operationId);

    /// <summary>
    /// Fences the range before the ring switches to the configuration <paramref name="next"/> (a move of its master or of
    /// a replica, a replica added or dropped, a merge): reads and writes wait, and the master waits until a write quorum
    /// of <paramref name="next"/>'s copies (its new master among them) holds every write applied, and for at most
    /// <paramref name="catchUp"/> until every replica in sync does. Not Ok when the quorum did not make it in time: then
    /// the fence is lifted. Overlord only.
    /// </summary>
    [Alias("FenceFor")]
    Task<FenceResult> FenceAsync(long operationId, RangeInfo next, TimeSpan catchUp);

    /// <summary>
    /// Fences the range, waits until a write quorum holds every write applied, and builds its two halves (on this silo, not yet served) for <paramref name="lower"/> and
    /// <paramref name="upper"/>. Overlord only.
    /// </summary>
    [Alias("PrepareSplit")]
    Task<FenceResult> PrepareSplitAsync(long operationId, RangeInfo lower, RangeInfo upper, TimeSpan catchUp);

    /// <summary>
    /// Fences the range and builds <paramref name="merged"/> from its entries and those of <paramref name="upper"/>
    /// (fenced already, on this silo). Overlord only.
    /// </summary>
    [Alias("PrepareMerge")]
    Task<FenceResult> PrepareMergeAsync(long operationId, RangeInfo upper, RangeInfo merged, TimeSpan catchUp);

    /// <summary>
    /// Ends an operation after <paramref name="ring"/> was published: the master steps down (its copy becomes a replica
    /// with <paramref name="keepAsReplica"/>) and the writes held by the fence are answered Moved. Overlord only.
    /// </summary>
    [Alias("Commit")]
    Task CommitAsync(long operationId, Ring ring, bool keepAsReplica);

    /// <summary>Gives an operation up: lifts the fence, stops the copy and forgets what was prepared. Overlord only.</summary>
    [Alias("Abort")]
    Task AbortAsync(long operationId);
}
