using DiMint.Grains.Hosting;

namespace DiMint.Grains.Replication;

/// <summary>
/// Takes the write batches a master silo sends to the replicas on this silo, for the <see cref="ReplicationService"/>
/// (batches that came as an Orleans call) and the data port (batches that came on a silo's connection) alike, and the
/// overlord's fences and questions before a promotion. Each batch
/// goes to its range's replica grain here: applied on the calling thread under the grain's lock when it is active
/// (<see cref="RangeReplicaGrain.ApplyFromSiloAsync"/>), else as a grain call, which activates it.
/// </summary>
internal sealed class ReplicationReceiver(ILocalSiloDetails silo, IGrainFactory grains, LocalGrains<RangeReplicaGrain> local)
{
    private readonly string _siloText = silo.SiloAddress.ToParsableString();
    private readonly IGrainFactory _grains = grains;

    /// <summary>Replica grain keys and references by range id: Orleans resolves the interface type by reflection on every GetGrain.</summary>
    private readonly BoundedCache<int, (string Key, IRangeReplicaGrain Grain)> _replicas = new(4096);

    /// <summary>Applies every batch, all ranges at once; answers one result per batch, in order: the acknowledgement or the error.</summary>
    public async Task<ReplicationAnswer[]> ApplyAsync(ReplicationBatch[] batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var calls = new Task<ReplicaAck>[batches.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            try
            {
                var (key, grain) = Replica(batches[i].RangeId);
                calls[i] = local.TryGet(key, out var active) ? active.ApplyFromSiloAsync(batches[i]) : grain.ApplyAsync(batches[i]);
            }
            catch (Exception ex)
            {
                calls[i] = Task.FromException<ReplicaAck>(ex);
            }
        }

        var answers = new ReplicationAnswer[batches.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            try
            {
                answers[i] = new ReplicationAnswer { Ack = await calls[i].ConfigureAwait(false) };
            }
            catch (Exception ex)
            {
                answers[i] = new ReplicationAnswer { Error = ex };
            }
        }

        return answers;
    }

    /// <summary>
    /// Fences this silo's copy of <paramref name="rangeId"/> on the calling thread when its replica grain is active here
    /// (the fence takes the grain's lock, as batches do), else through a grain call, which activates it.
    /// </summary>
    public Task<ReplicaState> FenceAsync(int rangeId, long epoch, SiloAddress? oldMaster, long oldEpoch) =>
        Active(rangeId, out var grain) is { } active ? active.FenceAsync(rangeId, epoch, oldMaster, oldEpoch) : grain.FenceAsync(rangeId, epoch, oldMaster, oldEpoch);

    /// <summary>
    /// What this silo's copy of <paramref name="rangeId"/> holds; like <see cref="FenceAsync"/>, on the calling thread when
    /// its grain is active. No range has an id below 1: asked for one (<see cref="PeerConnections"/> warming the path up),
    /// it answers that nothing is held without activating a grain.
    /// </summary>
    public Task<ReplicaState> GetStateAsync(int rangeId, bool includeMaster) =>
        rangeId < 1 ? Task.FromResult(new ReplicaState { RangeId = rangeId, Complete = false, AppliedSeq = 0, Epoch = 0 }) : Active(rangeId, out var grain) is { } active ? active.GetStateAsync(rangeId, includeMaster) : grain.GetStateAsync(rangeId, includeMaster);

    /// <summary>
    /// The replica grain of <paramref name="rangeId"/> when it is active on this silo and not going away, to call on this
    /// thread; else null, and <paramref name="grain"/> to call through Orleans (which activates it).
    /// </summary>
    private RangeReplicaGrain? Active(int rangeId, out IRangeReplicaGrain grain)
    {
        (var key, grain) = Replica(rangeId);
        return local.TryGet(key, out var active) && !active.IsDeactivated ? active : null;
    }

    private (string Key, IRangeReplicaGrain Grain) Replica(int rangeId) =>
        _replicas.GetOrAdd(rangeId, static (id, receiver) =>
        {
            var key = $"{id}/{receiver._siloText}";
            return (key, receiver._grains.GetGrain<IRangeReplicaGrain>(key));
        }, this);
}
