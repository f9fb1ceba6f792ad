using DiMint.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Replication;

/// <summary>The replicas' side of <see cref="IReplicationService"/>: hands each batch to its range's replica grain on this silo.</summary>
internal sealed class ReplicationService : GrainService, IReplicationService
{
    private readonly IGrainFactory _grains;
    private readonly string _siloText;

    /// <summary>Replica grain references by range id: Orleans resolves the interface type by reflection on every GetGrain.</summary>
    private readonly BoundedCache<int, IRangeReplicaGrain> _replicas = new(4096);

    public ReplicationService(GrainId grainId, Silo silo, ILoggerFactory loggers, IGrainFactory grains)
        : base(grainId, silo, loggers)
    {
        _grains = grains;
        _siloText = silo.SiloAddress.ToParsableString();
    }

    public async Task<ReplicationAnswer[]> ApplyAsync(ReplicationBatch[] batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var calls = new Task<ReplicaAck>[batches.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            try
            {
                calls[i] = Replica(batches[i].Range.Id).ApplyAsync(batches[i]);
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
                answers[i] = new ReplicationAnswer { Ack = await calls[i] };
            }
            catch (Exception ex)
            {
                answers[i] = new ReplicationAnswer { Error = ex };
            }
        }

        return answers;
    }

    private IRangeReplicaGrain Replica(int rangeId) =>
        _replicas.GetOrAdd(rangeId, static (id, service) => service._grains.GetGrain<IRangeReplicaGrain>($"{id}/{service._siloText}"), this);
}
