using DiMint.Grains.Overlord;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Replication;

/// <summary>The replicas' side of <see cref="IReplicationService"/>: hands the batches, fences and questions to the silo's <see cref="ReplicationReceiver"/>.</summary>
internal sealed class ReplicationService(GrainId grainId, Silo silo, ILoggerFactory loggers, ReplicationReceiver receiver, OverlordElection election)
    : GrainService(grainId, silo, loggers), IReplicationService
{
    public Task<ReplicationAnswer[]> ApplyAsync(ReplicationBatch[] batches) => receiver.ApplyAsync(batches);

    public Task<ReplicaState> FenceAsync(int rangeId, long epoch, SiloAddress? oldMaster, long oldEpoch, SiloAddress? overlord, long overlordTerm)
    {
        election.Observe(overlord, overlordTerm);
        return receiver.FenceAsync(rangeId, epoch, oldMaster, oldEpoch);
    }

    public Task<ReplicaState> GetStateAsync(int rangeId, bool includeMaster) => receiver.GetStateAsync(rangeId, includeMaster);
}
