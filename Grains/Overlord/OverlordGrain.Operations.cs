using System.Collections.Immutable;
using DiMint.Grains.Rebalancing;
using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Ring operations: splits, merges, moves and drains, each run in the background of the overlord's activation with its
/// progress kept for <c>dimint ops</c>. Every ring change goes through one gate, re-checked against the ring of the moment,
/// so operations, failovers and replica repairs never overwrite each other. An operation that cannot finish before its
/// ring switch is rolled back: the masters lift their fences and forget what they prepared.
/// </summary>
internal sealed partial class OverlordGrain
{
    private const int FinishedKept = 100;
    private static readonly TimeSpan ProgressPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _ringGate = new(1, 1);
    private readonly Dictionary<long, RingOperation> _running = [];
    private readonly LinkedList<RingOperationInfo> _finished = new();

    /// <summary>Ranges an operation works on: one operation per range at a time.</summary>
    private readonly Dictionary<int, long> _busy = [];

    /// <summary>Silos being drained: nothing new is placed on them.</summary>
    private readonly HashSet<SiloAddress> _draining = [];
    private SemaphoreSlim? _slots;
    private long _lastOperationId;
    private int _lastRangeId;

    public async Task<RingOperationInfo> StartSplitAsync(int rangeId, ulong? at) =>
        await StartSplitCoreAsync(rangeId, at, automatic: false, reason: null);

    public async Task<RingOperationInfo> StartMergeAsync(int rangeId, int otherRangeId)
    {
        var ring = await GetRingAsync();
        return StartMerge(ring, rangeId, otherRangeId, automatic: false, reason: null);
    }

    public async Task<RingOperationInfo> StartMoveAsync(int rangeId, SiloAddress target, bool replica, SiloAddress? from)
    {
        var ring = await GetRingAsync();
        return StartMove(ring, rangeId, target, replica, from, automatic: false, reason: null);
    }

    public async Task<RingOperationInfo> StartDrainAsync(SiloAddress silo)
    {
        await GetRingAsync();
        if (!IsUsable(silo))
        {
            throw new RingOperationException(DiMintErrorCode.UnknownSilo, $"Silo {silo} is not an active member of the cluster.");
        }

        if (_draining.Contains(silo))
        {
            throw new RingOperationException(DiMintErrorCode.OperationInProgress, $"Silo {silo} is being drained already.");
        }

        if (!EligibleSilos().Any(s => !s.Equals(silo)))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {silo} is the last silo that can hold ranges: it cannot be drained.");
        }

        _draining.Add(silo);
        var op = Begin(new RingOperationInfo { Id = 0, Kind = RingOperationKind.Drain, Source = silo, State = RingOperationState.Running });
        _ = RunAsync(op, () => DrainAsync(op, silo), usesSlot: false);
        return op.Info;
    }

    public async Task<ImmutableArray<RingOperationInfo>> RebalanceAsync(bool dryRun)
    {
        var ring = await GetRingAsync();
        var plan = await PlanBalanceAsync(ring, slots: Math.Max(1, rebalance.Value.MaxConcurrentOperations));
        var now = time.GetUtcNow();
        if (dryRun)
        {
            return [.. plan.Select(p => new RingOperationInfo
            {
                Id = 0,
                Kind = p.Kind,
                RangeId = p.RangeId,
                OtherRangeId = p.OtherRangeId,
                Source = p.Source,
                Target = p.Target,
                State = RingOperationState.Planned,
                Reason = p.Reason,
                StartedAt = now,
            })];
        }

        var started = ImmutableArray.CreateBuilder<RingOperationInfo>();
        foreach (var planned in plan)
        {
            started.Add(await StartPlannedAsync(planned, automatic: false));
        }

        return started.ToImmutable();
    }

    public Task<ImmutableArray<RingOperationInfo>> GetOperationsAsync() =>
        Task.FromResult<ImmutableArray<RingOperationInfo>>([.. _running.Values.Select(o => o.Info).OrderBy(i => i.Id), .. _finished]);

    public Task<RingOperationInfo?> GetOperationAsync(long operationId) =>
        Task.FromResult(_running.TryGetValue(operationId, out var op) ? op.Info : _finished.FirstOrDefault(i => i.Id == operationId));

    public async Task<FenceVerdict> ResolveFenceAsync(int rangeId, long operationId)
    {
        if (_running.ContainsKey(operationId))
        {
            return new FenceVerdict { Wait = true };
        }

        if (!_finished.Any(i => i.Id == operationId))
        {
            // An operation of an earlier activation of this grain: a version bump (a compare-and-swap on the stored
            // ring) makes sure that activation can no longer publish its ring switch.
            await GetRingAsync();
            await ChangeRingAsync(ring => ring with { Version = ring.Version + 1 });
            LogFenceOfUnknownOperation(logger, rangeId, operationId, _ring!.Version);
        }

        return new FenceVerdict { Ring = _ring };
    }

    private async Task<RingOperationInfo> StartPlannedAsync(PlannedOperation planned, bool automatic)
    {
        var ring = await GetRingAsync();
        return planned.Kind switch
        {
            RingOperationKind.Split => await StartSplitCoreAsync(planned.RangeId, at: null, automatic, planned.Reason),
            RingOperationKind.Merge => StartMerge(ring, planned.RangeId, planned.OtherRangeId!.Value, automatic, planned.Reason),
            RingOperationKind.MoveMaster => StartMove(ring, planned.RangeId, planned.Target!, replica: false, from: null, automatic, planned.Reason),
            RingOperationKind.MoveReplica => StartMove(ring, planned.RangeId, planned.Target!, replica: true, planned.Source, automatic, planned.Reason),
            _ => throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"The policy does not start {planned.Kind} operations."),
        };
    }

    private async Task<RingOperationInfo> StartSplitCoreAsync(int rangeId, ulong? at, bool automatic, string? reason)
    {
        var ring = await GetRingAsync();
        var range = ring.FindById(rangeId) ?? throw UnknownRange(rangeId, ring);
        CheckIdle(rangeId);
        var point = at ?? await RangeGrainOf(range).GetSplitPointAsync().WaitAsync(CallTimeout) ?? RingPlanner.Midpoint(range);
        CheckIdle(rangeId);
        var lowId = NextRangeId(ring);
        var highId = NextRangeId(ring);

        // Validates the point (and the ids) before anything starts.
        RingPlanner.Split(ring, rangeId, point, lowId, highId);
        var op = Begin(new RingOperationInfo { Id = 0, Kind = RingOperationKind.Split, RangeId = rangeId, SplitAt = point, State = RingOperationState.Running, Automatic = automatic, Reason = reason }, rangeId);
        _ = RunAsync(op, () => SplitAsync(op, rangeId, point, lowId, highId));
        return op.Info;
    }

    private RingOperationInfo StartMerge(Ring ring, int rangeId, int otherRangeId, bool automatic, string? reason)
    {
        var first = ring.FindById(rangeId) ?? throw UnknownRange(rangeId, ring);
        var second = ring.FindById(otherRangeId) ?? throw UnknownRange(otherRangeId, ring);
        var (lower, upper) = first.Start < second.Start ? (first, second) : (second, first);
        CheckIdle(lower.Id);
        CheckIdle(upper.Id);
        var mergedId = NextRangeId(ring);
        RingPlanner.PlanMerge(ring, lower.Id, upper.Id, mergedId);
        var op = Begin(new RingOperationInfo { Id = 0, Kind = RingOperationKind.Merge, RangeId = lower.Id, OtherRangeId = upper.Id, State = RingOperationState.Running, Automatic = automatic, Reason = reason }, lower.Id, upper.Id);
        _ = RunAsync(op, () => MergeAsync(op, lower.Id, upper.Id, mergedId));
        return op.Info;
    }

    private RingOperationInfo StartMove(Ring ring, int rangeId, SiloAddress target, bool replica, SiloAddress? from, bool automatic, string? reason)
    {
        var range = ring.FindById(rangeId) ?? throw UnknownRange(rangeId, ring);
        if (!IsUsable(target))
        {
            throw new RingOperationException(DiMintErrorCode.UnknownSilo, $"Silo {target} is not an active member of the cluster.");
        }

        if (_draining.Contains(target))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {target} is being drained: nothing moves onto it.");
        }

        if (!replica)
        {
            RingPlanner.MoveMaster(ring, rangeId, target);
        }
        else
        {
            from ??= range.Replicas
                .OrderByDescending(s => ring.Ranges.Count(r => r.Replicas.Contains(s)))
                .ThenBy(s => s.ToParsableString(), StringComparer.Ordinal)
                .FirstOrDefault()
                ?? throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {rangeId} has no replicas.");
            RingPlanner.MoveReplica(ring, rangeId, from, target);
        }

        CheckIdle(rangeId);
        var op = Begin(
            new RingOperationInfo
            {
                Id = 0,
                Kind = replica ? RingOperationKind.MoveReplica : RingOperationKind.MoveMaster,
                RangeId = rangeId,
                Source = replica ? from : range.Master,
                Target = target,
                State = RingOperationState.Running,
                Automatic = automatic,
                Reason = reason,
            },
            rangeId);
        _ = RunAsync(op, () => replica ? ChangeReplicaStepAsync(op, rangeId, from!, target) : MoveMasterStepAsync(op, rangeId, target));
        return op.Info;
    }

    private async Task SplitAsync(RingOperation op, int rangeId, ulong point, int lowId, int highId)
    {
        var range = CurrentRange(rangeId);
        var (_, lower, upper) = RingPlanner.Split(_ring!, rangeId, point, lowId, highId);
        var master = RangeGrainOf(range);
        var started = EnterFence(op);
        var fence = await PrepareAsync(op, [range], () => master.PrepareSplitAsync(op.Id, lower, upper, rebalance.Value.FenceCatchUp));

        // Replicas that hold exactly the fenced writes split their copies in place (no snapshot for the halves). A write
        // quorum of the halves' copies must hold them before the ring names the halves: a master that dies right after
        // the split then still has a successor with every acknowledged write.
        var copies = await Task.WhenAll(fence.CaughtUp.Where(range.Replicas.Contains).Select(s => TryStepAsync(op, ReplicaOn(rangeId, s).SplitAsync(rangeId, fence.SourceEpoch, fence.AppliedSeq, lower, upper), false)));
        var changed = copies.Count(ok => ok) >= WriteReplicas(range)
            ? await ChangeRingAsync(ring => ring.FindById(rangeId)?.GrainKey == range.GrainKey ? RingPlanner.Split(ring, rangeId, point, lowId, highId).Ring : null, op)
            : null;
        if (changed is not { } ring)
        {
            await AbortAsync(op, range);
            await DropCopiesAsync(range.Replicas, lowId, highId);
            throw new OperationRolledBackException(copies.Count(ok => ok) < WriteReplicas(range)
                ? $"too few replicas of range {rangeId} split their copies ({copies.Count(ok => ok)} of {WriteReplicas(range)} needed)"
                : $"range {rangeId} changed while splitting");
        }

        op.Committed = true;
        await CleanUpAsync(range.Master, master.CommitAsync(op.Id, ring.After, keepAsReplica: false));
        EndFence(op, started);
        await DropCopiesAsync(range.Replicas, rangeId);
        op.Info = op.Info with { ResultRanges = [lowId, highId], KeysMoved = fence.Keys };
        await AfterChangeAsync(ring.Before, ring.After);
    }

    private async Task MergeAsync(RingOperation op, int lowerId, int upperId, int mergedId)
    {
        var lower = CurrentRange(lowerId);
        if (!CurrentRange(upperId).Master.Equals(lower.Master))
        {
            // Both masters must be on one silo: the upper range's moves to the lower's first.
            await MoveMasterStepAsync(op, upperId, lower.Master);

            // That move is a step: only the merge's own ring switch commits the merge.
            op.Committed = false;
            op.Info = op.Info with { State = RingOperationState.Running };
        }

        var upper = CurrentRange(upperId);
        lower = CurrentRange(lowerId);
        var merged = RingPlanner.PlanMerge(_ring!, lowerId, upperId, mergedId);
        var lowerMaster = RangeGrainOf(lower);
        var upperMaster = RangeGrainOf(upper);
        var started = EnterFence(op);
        var upperFence = await PrepareAsync(op, [upper], () => upperMaster.FenceAsync(op.Id, upper, rebalance.Value.FenceCatchUp));
        var lowerFence = await PrepareAsync(op, [upper, lower], () => lowerMaster.PrepareMergeAsync(op.Id, upper, merged, rebalance.Value.FenceCatchUp));
        var low = new MergeSource { Range = lower, SourceEpoch = lowerFence.SourceEpoch, Seq = lowerFence.AppliedSeq };
        var high = new MergeSource { Range = upper, SourceEpoch = upperFence.SourceEpoch, Seq = upperFence.AppliedSeq };
        // As for a split: a write quorum of the merged range's copies must hold it before the ring names it.
        var copies = await Task.WhenAll(merged.Replicas.Where(s => lowerFence.CaughtUp.Contains(s) && upperFence.CaughtUp.Contains(s))
            .Select(s => TryStepAsync(op, ReplicaOn(lowerId, s).MergeAsync(low, high, merged), false)));
        var changed = copies.Count(ok => ok) >= WriteReplicas(merged)
            ? await ChangeRingAsync(ring => ring.FindById(lowerId)?.GrainKey == lower.GrainKey && ring.FindById(upperId)?.GrainKey == upper.GrainKey
                && ring.FindById(lowerId)!.Replicas.SequenceEqual(merged.Replicas)
                ? RingPlanner.Merge(ring, lowerId, upperId, merged)
                : null, op)
            : null;
        if (changed is not { } ring)
        {
            await AbortAsync(op, upper, lower);
            await DropCopiesAsync(merged.Replicas, mergedId);
            throw new OperationRolledBackException(copies.Count(ok => ok) < WriteReplicas(merged)
                ? $"too few replicas merged their copies ({copies.Count(ok => ok)} of {WriteReplicas(merged)} needed)"
                : $"ranges {lowerId} and {upperId} changed while merging");
        }

        op.Committed = true;
        await Task.WhenAll(
            CleanUpAsync(lower.Master, lowerMaster.CommitAsync(op.Id, ring.After, keepAsReplica: false)),
            CleanUpAsync(upper.Master, upperMaster.CommitAsync(op.Id, ring.After, keepAsReplica: false)));
        EndFence(op, started);
        await DropCopiesAsync(lower.Replicas, lowerId);
        await DropCopiesAsync(upper.Replicas, upperId);
        op.Info = op.Info with { ResultRanges = [mergedId], KeysMoved = lowerFence.Keys };
        await AfterChangeAsync(ring.Before, ring.After);
    }

    /// <summary>
    /// Moves a range's master: a copy to the target (unless it is a replica already), the fence for the final catch-up,
    /// the ring switch, and the old master stepping down (staying a replica when the target was one: a role swap).
    /// </summary>
    private async Task MoveMasterStepAsync(RingOperation op, int rangeId, SiloAddress target)
    {
        var range = CurrentRange(rangeId);
        var master = RangeGrainOf(range);
        if (!range.Replicas.Contains(target))
        {
            await CopyAsync(op, master, range, target);
        }

        var started = EnterFence(op);
        var next = RingPlanner.MoveMaster(_ring!, rangeId, target).FindById(rangeId)!;
        await PrepareAsync(op, [range], () => master.FenceAsync(op.Id, next, rebalance.Value.FenceCatchUp));
        var changed = await ChangeRingAsync(ring => ring.FindById(rangeId)?.GrainKey == range.GrainKey ? RingPlanner.MoveMaster(ring, rangeId, target) : null, op);
        if (changed is not { } ring)
        {
            await AbortAsync(op, range);
            throw new OperationRolledBackException($"range {rangeId} changed while moving its master");
        }

        op.Committed = true;
        var moved = ring.After.FindById(rangeId)!;
        await CleanUpAsync(range.Master, master.CommitAsync(op.Id, ring.After, keepAsReplica: moved.Replicas.Contains(range.Master)));
        EndFence(op, started);
        await AfterChangeAsync(ring.Before, ring.After);
    }

    /// <summary>
    /// Changes one of a range's replicas: <paramref name="target"/> gets a copy (fed like a replica, counted toward nothing)
    /// unless it is null, then the master is fenced until a write quorum of the new configuration holds every write, the
    /// ring switches (the replica on <paramref name="from"/> replaced, or dropped, or <paramref name="target"/> added when
    /// <paramref name="from"/> is null), and the master takes the new configuration and lifts the fence. Under the fence no
    /// write is acknowledged by the old configuration alone, so no acknowledged write is missing from the new one.
    /// </summary>
    private async Task ChangeReplicaStepAsync(RingOperation op, int rangeId, SiloAddress? from, SiloAddress? target)
    {
        var range = CurrentRange(rangeId);
        var master = RangeGrainOf(range);
        if (target is not null)
        {
            await CopyAsync(op, master, range, target);
        }

        Ring Change(Ring ring) => (from, target) switch
        {
            ({ } f, { } t) => RingPlanner.MoveReplica(ring, rangeId, f, t),
            ({ } f, null) => RingPlanner.DropReplica(ring, rangeId, f),
            (null, { } t) => RingPlanner.AddReplica(ring, rangeId, t),
            _ => throw new InvalidOperationException("A replica change needs a replica to drop or a silo to add."),
        };

        var next = Change(_ring!).FindById(rangeId)!;
        var started = EnterFence(op);
        await PrepareAsync(op, [range], () => master.FenceAsync(op.Id, next, rebalance.Value.FenceCatchUp));
        var changed = await ChangeRingAsync(ring => ring.FindById(rangeId) is { } now && now.GrainKey == range.GrainKey && now.Replicas.SequenceEqual(range.Replicas)
            ? Change(ring)
            : null, op);
        if (changed is not { } ring)
        {
            await AbortAsync(op, range);
            throw new OperationRolledBackException($"range {rangeId} changed while changing its replicas");
        }

        op.Committed = true;
        await CleanUpAsync(range.Master, master.CommitAsync(op.Id, ring.After, keepAsReplica: false));
        EndFence(op, started);
        await AfterChangeAsync(ring.Before, ring.After);
        if (from is not null && !_unconfigured.Contains(rangeId))
        {
            // The master stopped feeding the old replica: its copy can go.
            await DropCopiesAsync([from], rangeId);
        }
    }

    private async Task DrainAsync(RingOperation op, SiloAddress silo)
    {
        op.Info = op.Info with { Steps = _ring!.Ranges.Count(r => r.Master.Equals(silo) || r.Replicas.Contains(silo)) };
        var failures = 0;
        while (_ring!.Ranges.FirstOrDefault(r => r.Master.Equals(silo) || r.Replicas.Contains(silo)) is { } range)
        {
            if (!IsUsable(silo))
            {
                throw new OperationRolledBackException($"silo {silo} left the cluster while draining (its ranges fail over)");
            }

            if (_busy.ContainsKey(range.Id) || !IsUsable(range.Master))
            {
                // Busy with another operation, or its master is failing over: the failover goes first.
                await Task.Delay(ProgressPoll, time);
                continue;
            }

            _busy[range.Id] = op.Id;
            op.NextStep();
            try
            {
                await DrainRangeAsync(op, silo, range.Id);
                op.Info = op.Info with { StepsDone = op.Info.StepsDone + 1, State = RingOperationState.Running };
                failures = 0;
            }
            catch (OperationRolledBackException ex) when (++failures < 3)
            {
                LogDrainStepRetried(logger, silo.ToString(), range.Id, ex.Message);
                op.Info = op.Info with { State = RingOperationState.Running };
            }
            finally
            {
                _busy.Remove(range.Id);
            }
        }
    }

    private async Task DrainRangeAsync(RingOperation op, SiloAddress silo, int rangeId)
    {
        var range = CurrentRange(rangeId);
        var eligible = EligibleSilos().Where(s => !s.Equals(silo)).ToArray();
        if (range.Master.Equals(silo))
        {
            // A replica takes over (a role swap: the drained silo keeps a replica for now, so the copies never drop below
            // the replication factor); without one, the silo with the fewest masters gets a copy.
            var target = range.Replicas.Where(eligible.Contains).OrderBy(MasterCount).ThenBy(s => s.ToParsableString(), StringComparer.Ordinal).FirstOrDefault()
                ?? eligible.OrderBy(MasterCount).ThenBy(s => s.ToParsableString(), StringComparer.Ordinal).FirstOrDefault()
                ?? throw new OperationRolledBackException($"no silo can take range {rangeId}");
            await MoveMasterStepAsync(op, rangeId, target);
            range = CurrentRange(rangeId);
        }

        if (range.Replicas.Contains(silo))
        {
            var target = eligible.Where(s => !range.Master.Equals(s) && !range.Replicas.Contains(s))
                .OrderBy(s => _ring!.Ranges.Count(r => r.Replicas.Contains(s)))
                .ThenBy(s => s.ToParsableString(), StringComparer.Ordinal)
                .FirstOrDefault();
            if (target is not null)
            {
                await ChangeReplicaStepAsync(op, rangeId, silo, target);
            }
            else
            {
                // Every other silo holds the range already: the replication factor is capped by the silos left.
                await ChangeReplicaStepAsync(op, rangeId, silo, target: null);
            }
        }

        int MasterCount(SiloAddress s) => _ring!.Ranges.Count(r => r.Master.Equals(s));
    }

    /// <summary>Starts the copy to <paramref name="target"/> and follows it until the target is in sync.</summary>
    private async Task CopyAsync(RingOperation op, IRangeGrain master, RangeInfo range, SiloAddress target)
    {
        var (bytesBefore, keysBefore, totalBefore) = (op.Info.BytesMoved, op.Info.KeysMoved, op.Info.BytesTotal);
        var failingSince = (long?)null;
        try
        {
            var progress = await StepAsync(op, master.StartCopyAsync(op.Id, target), CallTimeout);
            while (true)
            {
                op.Info = op.Info with
                {
                    State = RingOperationState.Running,
                    BytesTotal = totalBefore + progress.BytesTotal,
                    BytesMoved = bytesBefore + progress.BytesSent,
                    KeysMoved = keysBefore + progress.KeysSent,
                };
                if (progress.Failed)
                {
                    throw new OperationRolledBackException($"the copy of range {range.Id} to {target} failed");
                }

                if (progress.InSync && progress.Lag <= replication.Value.MaxBatchOps)
                {
                    return;
                }

                if (!IsUsable(target))
                {
                    throw new OperationRolledBackException($"silo {target} left while receiving range {range.Id}");
                }

                if (!IsActiveMember(range.Master))
                {
                    // The failover skips a range an operation holds: give it back once the master's silo is gone, not after
                    // CopyStallTimeout. Membership only: a master merely slow to answer a probe (a loaded machine) keeps
                    // copying, or every copy from it would roll back.
                    throw new OperationRolledBackException($"silo {range.Master} left while sending range {range.Id}");
                }

                if (_ring!.FindById(range.Id)?.GrainKey != range.GrainKey)
                {
                    throw new OperationRolledBackException($"range {range.Id} changed hands (a failover) while copying");
                }

                await StepAsync(op, Task.Delay(ProgressPoll, time), Timeout.InfiniteTimeSpan);
                try
                {
                    progress = await StepAsync(op, master.GetCopyProgressAsync(op.Id), CallTimeout);
                    failingSince = null;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    failingSince ??= time.GetTimestamp();
                    if (time.GetElapsedTime(failingSince.Value) >= rebalance.Value.CopyStallTimeout)
                    {
                        throw new OperationRolledBackException($"the master of range {range.Id} stopped answering: {ex.Message}");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationRolledBackException || IsTransient(ex))
        {
            await AbortAsync(op, range);
            await DropCopiesAsync([target], range.Id);
            throw ex as OperationRolledBackException ?? new OperationRolledBackException($"the copy of range {range.Id} to {target} failed: {ex.Message}");
        }
    }

    /// <summary>Fences (and prepares) through <paramref name="prepare"/>; on failure aborts the masters of <paramref name="ranges"/> and rolls back.</summary>
    private async Task<FenceResult> PrepareAsync(RingOperation op, RangeInfo[] ranges, Func<Task<FenceResult>> prepare)
    {
        FenceResult result;
        try
        {
            result = await StepAsync(op, prepare(), rebalance.Value.FenceCatchUp + CallTimeout);
        }
        catch (Exception ex) when (IsTransient(ex) || ex is DiMintException or OperationRolledBackException)
        {
            await AbortAsync(op, ranges);
            throw new OperationRolledBackException($"the fence failed: {ex.Message}");
        }

        if (!result.Ok)
        {
            await AbortAsync(op, ranges);
            throw new OperationRolledBackException($"the fence was lifted: {result.Reason}");
        }

        return result;
    }

    private long EnterFence(RingOperation op)
    {
        op.Info = op.Info with { State = RingOperationState.Fencing };
        op.FencedAfter = _ringsTakenFromOthers;
        return time.GetTimestamp();
    }

    private void EndFence(RingOperation op, long started)
    {
        var fence = time.GetElapsedTime(started);
        op.Info = op.Info with { Fence = op.Info.Fence is { } longest && longest > fence ? longest : fence };
    }

    private async Task AbortAsync(RingOperation op, params RangeInfo[] ranges) =>
        await Task.WhenAll(ranges.Select(r => CleanUpAsync(r.Master, RangeGrainOf(r).AbortAsync(op.Id))));

    private async Task DropCopiesAsync(IEnumerable<SiloAddress> silos, params int[] rangeIds) =>
        await Task.WhenAll(silos.SelectMany(s => rangeIds.Select(id => CleanUpAsync(s, ReplicaOn(id, s).DropAsync(id)))));

    /// <summary>
    /// Abandons the step under way of every running operation that needs a failed silo (the master of a range it holds,
    /// or its target): what the step waits for ends at once, and it rolls back (unless its ring switch is published)
    /// without waiting for the failed silo. So the failover, which skips the ranges an operation holds, gets them in the
    /// next round of probes rather than when a call to the dead silo times out (10 s) or Orleans declares it dead
    /// (seconds). A failed replica is no reason: a repair replaces one, and a fence counts only the replicas that answer.
    /// </summary>
    private void AbandonOperationsOn(HashSet<SiloAddress> failed)
    {
        if (failed.Count == 0 || _running.Count == 0)
        {
            return;
        }

        foreach (var op in _running.Values)
        {
            var silo = _busy.Where(b => b.Value == op.Id).Select(b => _ring!.FindById(b.Key)?.Master)
                .Append(op.Info.Target)
                .OfType<SiloAddress>()
                .FirstOrDefault(failed.Contains);
            if (silo is not null && op.Abandon($"silo {silo} failed"))
            {
                LogOperationAbandoned(logger, op.Id, op.Info.Kind.ToString(), silo.ToString());
            }
        }
    }

    /// <summary>After a ring switch: the masters learn their new configuration (and promoted or new masters activate).</summary>
    private async Task AfterChangeAsync(Ring before, Ring after)
    {
        MarkChanged(before, after);
        await ConfigureMastersAsync();
    }

    /// <summary>
    /// Changes the ring through the gate: <paramref name="change"/> sees the ring of the moment (null: no change) and the
    /// result is published before anyone else may change it.
    /// </summary>
    private async Task<(Ring Before, Ring After)?> ChangeRingAsync(Func<Ring, Ring?> change, RingOperation? fenced = null)
    {
        await _ringGate.WaitAsync();
        try
        {
            var before = _ring ?? await GetRingAsync();

            // An operation whose fence another overlord may have resolved meanwhile (it rolled the operation back on the
            // masters, and its version bump is the ring this one took) does not publish onto that overlord's ring.
            if ((fenced is not null && fenced.FencedAfter != _ringsTakenFromOthers) || change(before) is not { } after)
            {
                return null;
            }

            await PublishAsync(after);
            return (before, after);
        }
        finally
        {
            _ringGate.Release();
        }
    }

    private async Task RunAsync(RingOperation op, Func<Task> body, bool usesSlot = true, Action<bool>? onEnd = null)
    {
        var slots = _slots ??= new SemaphoreSlim(rebalance.Value.MaxConcurrentOperations);
        var slot = false;
        try
        {
            if (usesSlot)
            {
                // The token, not StepAsync: a wait given up must not take a slot later.
                try
                {
                    await slots.WaitAsync(op.Step);
                }
                catch (OperationCanceledException)
                {
                    throw new OperationRolledBackException(op.AbandonedFor ?? "the operation was abandoned before it started");
                }

                slot = true;
            }

            await body();
            Finish(op, RingOperationState.Done, reason: null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogOperationFailed(logger, op.Id, op.Info.Kind.ToString(), ex.Message);
            // A drain is done once its silo holds nothing, not because one of its steps switched the ring: a drain given
            // up says so, and its silo may get ranges again.
            Finish(op, op.Committed && op.Info.Kind != RingOperationKind.Drain ? RingOperationState.Done : RingOperationState.RolledBack, ex.Message);
        }
        finally
        {
            if (slot)
            {
                slots.Release();
            }

            onEnd?.Invoke(op.Info.State == RingOperationState.Done);
        }
    }

    private RingOperation Begin(RingOperationInfo info, params int[] rangeIds)
    {
        _lastOperationId = Math.Max(_lastOperationId + 1, time.GetUtcNow().ToUnixTimeMilliseconds());
        var op = new RingOperation(info with { Id = _lastOperationId, StartedAt = time.GetUtcNow() }, rangeIds);
        _running[op.Info.Id] = op;
        foreach (var id in rangeIds)
        {
            _busy[id] = op.Info.Id;
        }

        LogOperationStarted(logger, op.Info.Id, op.Info.Kind.ToString(), op.Info.RangeId, op.Info.Automatic, op.Info.Reason ?? "operator");
        return op;
    }

    private void Finish(RingOperation op, RingOperationState state, string? reason)
    {
        if (op.Info.Kind == RingOperationKind.Drain && state != RingOperationState.Done)
        {
            _draining.Remove(op.Info.Source!);
        }

        op.Info = op.Info with { State = state, EndedAt = time.GetUtcNow(), Reason = reason ?? op.Info.Reason };
        _running.Remove(op.Info.Id);
        foreach (var id in op.RangeIds)
        {
            _busy.Remove(id);
        }

        _finished.AddFirst(op.Info);
        while (_finished.Count > FinishedKept)
        {
            _finished.RemoveLast();
        }

        LogOperationFinished(logger, op.Info.Id, op.Info.Kind.ToString(), state.ToString(), op.Info.BytesMoved, (op.Info.Fence ?? TimeSpan.Zero).TotalMilliseconds, reason ?? "");
    }

    private void CheckIdle(int rangeId)
    {
        if (_busy.TryGetValue(rangeId, out var other))
        {
            throw new RingOperationException(DiMintErrorCode.OperationInProgress, $"Range {rangeId} is busy with operation {other}.");
        }
    }

    private int NextRangeId(Ring ring)
    {
        _lastRangeId = Math.Max(_lastRangeId, ring.NextRangeId - 1) + 1;
        return _lastRangeId;
    }

    private RangeInfo CurrentRange(int rangeId) =>
        _ring!.FindById(rangeId) ?? throw new OperationRolledBackException($"range {rangeId} is no longer in the ring");

    private IRangeGrain RangeGrainOf(RangeInfo range) => GrainFactory.GetGrain<IRangeGrain>(range.GrainKey);

    private IRangeReplicaGrain ReplicaOn(int rangeId, SiloAddress silo) => GrainFactory.GetGrain<IRangeReplicaGrain>(MasterReplication.ReplicaKey(rangeId, silo));

    /// <summary>Whether a silo is an active member that the overlord does not suspect.</summary>
    private bool IsUsable(SiloAddress silo) => IsActiveMember(silo) && !_suspects.ContainsKey(silo);

    private bool IsActiveMember(SiloAddress silo) =>
        membership.CurrentSnapshot.Members.TryGetValue(silo, out var member) && member.Status == Orleans.Runtime.SiloStatus.Active;

    /// <summary>The silos new ranges, replicas and moves may go to: usable and not draining.</summary>
    private SiloAddress[] EligibleSilos() => [.. ActiveSilos().Where(s => IsUsable(s) && !_draining.Contains(s))];

    private static RingOperationException UnknownRange(int rangeId, Ring ring) =>
        new(DiMintErrorCode.UnknownRange, $"Range {rangeId} is not in ring version {ring.Version}.");

    private static bool IsTransient(Exception ex) => ex is TimeoutException or OrleansException or SiloUnavailableException;

    /// <summary>Observes the failure <paramref name="call"/> may end with, for a call nobody awaits.</summary>
    private static void Forget(Task call) =>
        _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Awaits <paramref name="call"/>, which a step of <paramref name="op"/> cannot go on without: gives up after
    /// <paramref name="timeout"/>, and at once, as a roll-back, when the step is abandoned (a silo it involves failed).
    /// </summary>
    private static async Task<T> StepAsync<T>(RingOperation op, Task<T> call, TimeSpan timeout)
    {
        await StepAsync(op, (Task)call, timeout);
        return await call;
    }

    /// <inheritdoc cref="StepAsync{T}"/>
    private static async Task StepAsync(RingOperation op, Task call, TimeSpan timeout)
    {
        try
        {
            await call.WaitAsync(timeout, op.Step);
        }
        catch (OperationCanceledException) when (op.Step.IsCancellationRequested)
        {
            Forget(call);
            throw new OperationRolledBackException(op.AbandonedFor ?? "the operation was abandoned");
        }
    }

    /// <summary>A call whose failure the step tolerates (<paramref name="failed"/> stands for its answer), given up when the step is abandoned.</summary>
    private async Task<T> TryStepAsync<T>(RingOperation op, Task<T> call, T failed)
    {
        try
        {
            return await StepAsync(op, call, CallTimeout);
        }
        catch (Exception ex) when (IsTransient(ex) || ex is DiMintException or OperationRolledBackException)
        {
            LogCallFailed(logger, ex.Message);
            return failed;
        }
    }

    /// <summary>
    /// A clean-up call (a commit, an abort, a copy dropped) on <paramref name="silo"/>, whose failure the operation
    /// tolerates: awaited, unless the overlord suspects the silo; then it goes all the same, but the operation does not
    /// hold its ranges (and so their failover) for a silo that may be dead.
    /// </summary>
    private Task CleanUpAsync(SiloAddress silo, Task call)
    {
        if (IsUsable(silo))
        {
            return TryAsync(call);
        }

        _ = TryAsync(call);
        return Task.CompletedTask;
    }

    /// <summary>Replicas a write waits for in <paramref name="range"/>'s configuration.</summary>
    private int WriteReplicas(RangeInfo range) => Quorums.Of(range.Replicas.Length, replication.Value.WriteAcks).WriteReplicas;

    /// <summary>Awaits a call whose failure the operation tolerates (a later step or the failover path covers it).</summary>
    private async Task TryAsync(Task call)
    {
        try
        {
            await call.WaitAsync(CallTimeout);
        }
        catch (Exception ex) when (IsTransient(ex) || ex is DiMintException)
        {
            LogCallFailed(logger, ex.Message);
        }
    }

    /// <summary>An operation's mutable record while it runs.</summary>
    private sealed class RingOperation(RingOperationInfo info, int[] rangeIds)
    {
        public RingOperationInfo Info { get; set; } = info;

        public long Id => Info.Id;

        public int[] RangeIds { get; } = rangeIds;

        // Like every field of the grain, touched only in its turns (the operation's own and the health check's, interleaved
        // at awaits, never on two threads at once): no lock.

        /// <summary>Cancelled when the step under way is abandoned (<see cref="AbandonOperationsOn"/>).</summary>
        public CancellationToken Step => _step.Token;

        /// <summary>Why the step under way was abandoned; null while it is not.</summary>
        public string? AbandonedFor { get; private set; }

        private CancellationTokenSource _step = new();

        /// <summary>Abandons the step under way; false when it was already.</summary>
        public bool Abandon(string reason)
        {
            if (_step.IsCancellationRequested)
            {
                return false;
            }

            AbandonedFor = reason;
            _step.Cancel();
            return true;
        }

        /// <summary>A drain's next step starts: an abandoned step does not abandon it.</summary>
        public void NextStep()
        {
            if (_step.IsCancellationRequested)
            {
                _step.Dispose();
                _step = new CancellationTokenSource();
                AbandonedFor = null;
            }
        }

        /// <summary>
        /// Set once the ring switch is published: from then on the operation is done, whatever follows. A merge clears it
        /// after the move that precedes it; a drain, made of such steps, is done only when its silo holds nothing.
        /// </summary>
        public bool Committed { get; set; }

        /// <summary>
        /// <see cref="_ringsTakenFromOthers"/> when the operation's current fence began: its ring switch is published only
        /// if no other overlord's ring was taken since.
        /// </summary>
        public long FencedAfter { get; set; }
    }

    /// <summary>An operation given up before its ring switch; the message says why.</summary>
    private sealed class OperationRolledBackException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} ({Kind}) on range {RangeId} started (automatic: {Automatic}; {Reason})")]
    private static partial void LogOperationStarted(ILogger logger, long operationId, string kind, int rangeId, bool automatic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} ({Kind}) ended {State}: {BytesMoved} bytes moved, fence {FenceMs} ms. {Reason}")]
    private static partial void LogOperationFinished(ILogger logger, long operationId, string kind, string state, long bytesMoved, double fenceMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId} ({Kind}) failed: {Reason}")]
    private static partial void LogOperationFailed(ILogger logger, long operationId, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId} ({Kind}): its step under way is abandoned, silo {Silo} failed")]
    private static partial void LogOperationAbandoned(ILogger logger, long operationId, string kind, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain of {Silo}: the step for range {RangeId} is retried: {Reason}")]
    private static partial void LogDrainStepRetried(ILogger logger, string silo, int rangeId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A master fenced for operation {OperationId} of an earlier overlord asked about range {RangeId}: ring bumped to version {RingVersion}")]
    private static partial void LogFenceOfUnknownOperation(ILogger logger, int rangeId, long operationId, long ringVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A call of a ring operation failed (a later step covers it): {Reason}")]
    private static partial void LogCallFailed(ILogger logger, string reason);
}
