using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Batching;

/// <summary>
/// Serves client batches that come as Orleans calls (see <see cref="ISiloBatchService"/>) with the silo's
/// <see cref="BatchExecutor"/>, and tells clients where the silo's data port is.
/// </summary>
internal sealed class SiloBatchService : GrainService, ISiloBatchService
{
    private readonly BatchExecutor _executor;
    private readonly DataPortListener _dataPort;
    private readonly SiloAddress _silo;

    public SiloBatchService(GrainId grainId, Silo silo, ILoggerFactory loggers, BatchExecutor executor, DataPortListener dataPort)
        : base(grainId, silo, loggers)
    {
        _executor = executor;
        _dataPort = dataPort;
        _silo = silo.SiloAddress;
    }

    public Task<SiloAddress> GetSiloAsync() => Task.FromResult(_silo);

    public Task<int> GetDataPortAsync() => Task.FromResult(_dataPort.Port);

    public Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion) => _executor.ExecuteAsync(batches, ringVersion);
}
