using System.Collections.Immutable;
using Orleans.Concurrency;

namespace DiMint;

/// <summary>
/// Owns the ring: creates it when the cluster first serves, places ranges on silos, changes it (splits, merges, moves,
/// drains, automatic balancing), and serves it to clients and silos. Never on the per-request data path. There is one,
/// with key 0.
/// </summary>
[Alias("DiMint.IOverlordGrain")]
public interface IOverlordGrain : IGrainWithIntegerKey
{
    /// <summary>The current ring, created over the active silos on first use.</summary>
    [Alias("GetRing")]
    [AlwaysInterleave]
    Task<Ring> GetRingAsync();

    /// <summary>
    /// The current ring for a caller holding the ring of <paramref name="known"/>: what changed since that version when
    /// the overlord still has it (<see cref="RingUpdate"/>), else the whole ring. 0 asks for the whole ring.
    /// </summary>
    [Alias("GetRingSince")]
    [AlwaysInterleave]
    Task<RingUpdate> GetRingSinceAsync(long known);

    /// <summary>
    /// The ring as soon as one newer than <paramref name="version"/> is published, or after <paramref name="wait"/> (at most
    /// 5 s) the current one: a client whose request failed learns of a promotion the moment it happens. It comes as what
    /// changed since <paramref name="version"/> (<see cref="RingUpdate"/>) when the overlord still has that version.
    /// </summary>
    [Alias("WatchRing")]
    [AlwaysInterleave]
    Task<RingUpdate> WatchRingAsync(long version, TimeSpan wait);

    /// <summary>
    /// Answers at once, after loading the stored ring when there is one (it never creates a ring): silos call it so that
    /// an overlord whose silo is gone starts again elsewhere and resumes its health checks.
    /// </summary>
    [Alias("Wake")]
    [AlwaysInterleave]
    Task WakeAsync();

    /// <summary>
    /// Silo-internal: a connection to <paramref name="silo"/> was closed or reset by that silo, as when its process dies.
    /// The overlord checks the silo's port now rather than at its next probe, and fails the silo over at once if the
    /// port refuses connections; a silo that still accepts is left to the probes.
    /// </summary>
    [Alias("SiloLost")]
    [AlwaysInterleave]
    Task SiloLostAsync(SiloAddress silo);

    /// <summary>
    /// The ring as stored, re-read: asked when someone holds a newer ring than this overlord gave (another overlord
    /// activation published it, across a partition).
    /// </summary>
    [Alias("ReloadRing")]
    [AlwaysInterleave]
    Task<Ring> ReloadRingAsync();

    /// <summary>Silos, ranges and what each holds.</summary>
    [Alias("GetStatus")]
    [AlwaysInterleave]
    Task<ClusterStatus> GetStatusAsync();

    /// <summary>
    /// Starts splitting a range in two at <paramref name="at"/> (the new upper range starts there), or by default at the
    /// hash that divides the range's bytes in half. Both halves keep the range's silos.
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range, a split point outside it, or the range is busy; nothing changed.</exception>
    [Alias("StartSplit")]
    Task<RingOperationInfo> StartSplitAsync(int rangeId, ulong? at);

    /// <summary>Starts merging two adjacent ranges into one (on the first range's silos; the second's master moves there first).</summary>
    /// <exception cref="RingOperationException">Unknown ranges, ranges that are not adjacent, or a range is busy; nothing changed.</exception>
    [Alias("StartMerge")]
    Task<RingOperationInfo> StartMergeAsync(int rangeId, int otherRangeId);

    /// <summary>
    /// Starts moving a range's master (or, with <paramref name="replica"/>, one of its replicas: the one on
    /// <paramref name="from"/>, or the one on the busiest silo) to <paramref name="target"/>.
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range or silo, a target that already holds that role, or the range is busy; nothing changed.</exception>
    [Alias("StartMove")]
    Task<RingOperationInfo> StartMoveAsync(int rangeId, SiloAddress target, bool replica, SiloAddress? from);

    /// <summary>Starts moving every master and replica off <paramref name="silo"/>; new ranges and replicas avoid it from now on.</summary>
    /// <exception cref="RingOperationException">Unknown silo, or it is the last one; nothing changed.</exception>
    [Alias("StartDrain")]
    Task<RingOperationInfo> StartDrainAsync(SiloAddress silo);

    /// <summary>
    /// Runs the balancing policy once: the splits, merges and moves it plans, started now, or with
    /// <paramref name="dryRun"/> only returned (state Planned).
    /// </summary>
    [Alias("Rebalance")]
    Task<ImmutableArray<RingOperationInfo>> RebalanceAsync(bool dryRun);

    /// <summary>Operations under way, then the most recent finished ones.</summary>
    [Alias("GetOperations")]
    [AlwaysInterleave]
    Task<ImmutableArray<RingOperationInfo>> GetOperationsAsync();

    /// <summary>One operation, or null when the overlord does not know it (finished long ago, or before it restarted).</summary>
    [Alias("GetOperation")]
    [AlwaysInterleave]
    Task<RingOperationInfo?> GetOperationAsync(long operationId);

    /// <summary>
    /// Asked by a master that has been fenced for a long time (the overlord may have restarted mid-operation): wait, or
    /// the ring that decides whether it steps down or lifts the fence. Range grains only.
    /// </summary>
    [Alias("ResolveFence")]
    [AlwaysInterleave]
    Task<FenceVerdict> ResolveFenceAsync(int rangeId, long operationId);

    /// <summary>
    /// Asked by a master whose replicas were fenced for an epoch the ring does not name (a promotion that could not gather
    /// its quorum): the overlord promotes the best copy again, at a newer epoch. Range grains only.
    /// </summary>
    [Alias("ResolveEpoch")]
    [AlwaysInterleave]
    Task ResolveEpochAsync(int rangeId, long epoch);

    /// <summary>
    /// An operator's recovery of a range that cannot be promoted (fewer copies answer than a promotion needs): its master
    /// becomes the copy on <paramref name="from"/> (which may lack acknowledged writes that only unreachable copies hold),
    /// or, with <paramref name="empty"/>, a new empty copy on the least loaded silo (the range's data is given up).
    /// Logged as an error either way. Answers the range as it is now.
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range or silo, the silo holds no complete copy, or the range is busy; nothing changed.</exception>
    [Alias("RecoverRange")]
    Task<RangeInfo> RecoverRangeAsync(int rangeId, SiloAddress? from, bool empty);
}
