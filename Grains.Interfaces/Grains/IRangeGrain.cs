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
    Task<WriteResult> SetAsync(string key, byte[] value, long ringVersion);

    /// <summary>Removes one key: Ok if it was stored, NotFound if not.</summary>
    [Alias("Delete")]
    Task<WriteResult> DeleteAsync(string key, long ringVersion);

    /// <summary>Reads many keys of this range in one call.</summary>
    [Alias("GetMany")]
    Task<BatchReadResult> GetManyAsync(string[] keys, long ringVersion);

    /// <summary>Stores many entries of this range in one call: all of them, or none when Moved.</summary>
    [Alias("SetMany")]
    Task<WriteResult> SetManyAsync(string[] keys, byte[][] values, long ringVersion);

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
    /// Splits the range into <paramref name="lower"/> and <paramref name="upper"/> (on this silo) as part of
    /// <paramref name="ring"/>: the entries move to the two new ranges and this grain answers Moved from then on.
    /// Idempotent. Called by the overlord only.
    /// </summary>
    [Alias("Split")]
    Task<RangeStats[]> SplitAsync(RangeInfo lower, RangeInfo upper, Ring ring);
}
