namespace DiMint.Grains.Batching;

/// <summary>This silo's <see cref="BatchExecutor"/> for a client that runs inside it (<see cref="ILocalBatches"/>).</summary>
internal sealed class LocalBatches(BatchExecutor executor, ILocalSiloDetails silo) : ILocalBatches
{
    public SiloAddress Silo => silo.SiloAddress;

    public Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion) => executor.ExecuteAsync(batches, ringVersion);
}
