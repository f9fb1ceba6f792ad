namespace DiMint;

/// <summary>
/// Runs client batches on the silo a client lives in, without a network hop: a client inside a silo (its Redis-protocol
/// port's) hands the batches for that silo's ranges straight to the silo's batch executor, as its data port would.
/// </summary>
public interface ILocalBatches
{
    /// <summary>The silo the batches run on (its current runtime's address).</summary>
    SiloAddress Silo { get; }

    /// <summary>Runs the batch as <see cref="ISiloBatchService.ExecuteAsync"/> does.</summary>
    Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion);
}
