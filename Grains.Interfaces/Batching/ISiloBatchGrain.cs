namespace DiMint;

/// <summary>
/// Serves a client's batch of reads and writes for several ranges whose masters live on one silo: one message crosses
/// the network, and the grain calls each range's <see cref="IRangeGrain"/> on the silo itself. Keyed by the silo's
/// parsable address and pinned to that silo.
/// </summary>
[Alias("DiMint.ISiloBatchGrain")]
public interface ISiloBatchGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs each range's part with <see cref="IRangeGrain.SetManyAsync"/> and <see cref="IRangeGrain.GetManyAsync"/>,
    /// all ranges at once, and answers one result per part, in order. A part that fails carries its error; the others
    /// are unaffected.
    /// </summary>
    [Alias("Execute")]
    Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion);
}
