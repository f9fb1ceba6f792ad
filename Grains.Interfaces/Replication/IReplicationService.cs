using Orleans.Services;

namespace DiMint;

/// <summary>
/// Takes the write batches a master silo sends to the replicas on this silo, many ranges' at once: each batch goes to
/// its range's <see cref="IRangeReplicaGrain"/> here. One message per pair of silos carries what would otherwise be one
/// message per range. A per-silo service (an Orleans system target), addressed with <see cref="ReplicationServiceId.At"/>.
/// </summary>
[Alias("DiMint.IReplicationService")]
public interface IReplicationService : IGrainService
{
    /// <summary>
    /// Applies each batch with <see cref="IRangeReplicaGrain.ApplyAsync"/> on this silo, all at once, and answers one
    /// result per batch, in order: the replica's acknowledgement, or the error its call raised.
    /// </summary>
    [Alias("Apply")]
    Task<ReplicationAnswer[]> ApplyAsync(ReplicationBatch[] batches);

    /// <summary>
    /// <see cref="IRangeReplicaGrain.FenceAsync"/> on this silo's copy of <paramref name="rangeId"/>. Through the service
    /// (addressed by silo) rather than the grain (found through Orleans' directory), so a promotion does not wait for
    /// Orleans to declare a dead silo dead when that silo held the directory entries of live replicas. A promotion's fence
    /// names the overlord that sends it (<paramref name="overlord"/>, at lease term <paramref name="overlordTerm"/>): the
    /// silo then asks that overlord for the ring the promotion publishes, not one it had not yet heard was replaced.
    /// </summary>
    [Alias("Fence")]
    Task<ReplicaState> FenceAsync(int rangeId, long epoch, SiloAddress? oldMaster = null, long oldEpoch = 0, SiloAddress? overlord = null, long overlordTerm = 0);

    /// <summary><see cref="IRangeReplicaGrain.GetStateAsync"/> on this silo's copy of <paramref name="rangeId"/>, through the service.</summary>
    [Alias("GetState")]
    Task<ReplicaState> GetStateAsync(int rangeId, bool includeMaster);
}

/// <summary>What one replica answered to its batch in an <see cref="IReplicationService"/> call.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicationAnswer")]
public sealed record ReplicationAnswer
{
    /// <summary>The replica's acknowledgement, or null when its call failed.</summary>
    [Id(0)]
    public ReplicaAck? Ack { get; init; }

    /// <summary>The error the replica's call raised.</summary>
    [Id(1)]
    public Exception? Error { get; init; }
}

/// <summary>The identity of the <see cref="IReplicationService"/> on a silo.</summary>
public static class ReplicationServiceId
{
    /// <summary>The service's grain type, the same on every silo.</summary>
    public static readonly GrainType Type = SystemTargetGrainId.CreateGrainType("dimint-replication");

    /// <summary>The service on <paramref name="silo"/>.</summary>
    public static GrainId At(SiloAddress silo) => SystemTargetGrainId.Create(Type, silo).GrainId;
}
