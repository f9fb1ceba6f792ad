using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The master's side of ring operations (driven by the overlord): copying the range to a move's target, the fence that
/// holds writes for the final catch-up, preparing split halves or a merged range, and the commit or abort that ends it.
/// </summary>
internal sealed partial class RangeGrain
{
    /// <summary>
    /// How long a fence may last before the master asks the overlord whether the operation is still on, and how often it
    /// asks again. Most fences last milliseconds; the overlord answers Wait for an operation it runs, so asking early costs
    /// one call. A fence whose overlord activation went away (Orleans deactivates it when the silo holding its directory
    /// entry dies) held the range's writes for the whole first wait, 5 s before.
    /// </summary>
    private static readonly TimeSpan FenceResolveAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FenceResolveEvery = TimeSpan.FromSeconds(1);

    /// <summary>How long the question may take.</summary>
    private static readonly TimeSpan FenceResolveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Ranges this grain built for an operation that the ring does not name yet.</summary>
    private readonly List<(long OperationId, int RangeId)> _prepared = [];
    private RangeFence? _fence;

    public Task<CopyProgress> StartCopyAsync(long operationId, SiloAddress target)
    {
        ServingData();
        return Task.FromResult(_replicas!.StartCopy(operationId, target));
    }

    public Task<CopyProgress> GetCopyProgressAsync(long operationId)
    {
        ServingData();
        return Task.FromResult(_replicas!.GetCopyProgress(operationId));
    }

    public async Task<FenceResult> FenceAsync(long operationId, RangeInfo next, TimeSpan catchUp)
    {
        var data = ServingData();
        var fence = BeginFence(operationId);
        if (!await _replicas!.CatchUpAsync(next, catchUp))
        {
            LiftFence(fence);
            return new FenceResult { Ok = false, Reason = $"a write quorum of the new configuration did not hold every write within {catchUp.TotalMilliseconds:0} ms" };
        }

        return Fenced(data, data.Count);
    }

    public async Task<FenceResult> PrepareSplitAsync(long operationId, RangeInfo lower, RangeInfo upper, TimeSpan catchUp)
    {
        var data = ServingData();
        var range = data.Range;
        if (lower.Start != range.Start || upper.End != range.End || lower.End != upper.Start
            || !lower.Master.Equals(range.Master) || !upper.Master.Equals(range.Master))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"{lower.BoundsText} and {upper.BoundsText} do not split range {range.Id} {range.BoundsText} on its silo.");
        }

        var fence = BeginFence(operationId);
        if (!await _replicas!.CatchUpAsync(range, catchUp))
        {
            LiftFence(fence);
            return new FenceResult { Ok = false, Reason = $"a write quorum did not hold every write within {catchUp.TotalMilliseconds:0} ms" };
        }

        if (_fence != fence || data.RetiredBy is not null)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {range.Id} changed hands while preparing the split.");
        }

        if (!_prepared.Contains((operationId, lower.Id)))
        {
            // One pass, in this turn: the fence keeps writes out until the ring names the halves.
            var low = new RangeData(lower, 0, isMaster: true);
            var high = new RangeData(upper, 0, isMaster: true);
            data.SplitInto(low, high);

            var sessions = data.Sessions.Snapshot(long.MaxValue);
            low.Sessions.AddCommitted(sessions, time.GetTimestamp());
            high.Sessions.AddCommitted(sessions, time.GetTimestamp());
            store.Put(low);
            store.Put(high);
            _prepared.Add((operationId, lower.Id));
            _prepared.Add((operationId, upper.Id));
        }

        return Fenced(data, data.Count);
    }

    public async Task<FenceResult> PrepareMergeAsync(long operationId, RangeInfo upper, RangeInfo merged, TimeSpan catchUp)
    {
        var data = ServingData();
        var range = data.Range;
        if (range.End != upper.Start || merged.Start != range.Start || merged.End != upper.End
            || !merged.Master.Equals(range.Master) || !upper.Master.Equals(range.Master))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {upper.Id} {upper.BoundsText} cannot merge into range {range.Id} {range.BoundsText} as {merged.BoundsText} on this silo.");
        }

        if (!store.TryGet(upper.Id, out var other) || !other.IsMaster || other.RetiredBy is not null)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {upper.Id}'s master is not on this silo.");
        }

        var fence = BeginFence(operationId);
        if (!await _replicas!.CatchUpAsync(range, catchUp))
        {
            LiftFence(fence);
            return new FenceResult { Ok = false, Reason = $"a write quorum did not hold every write within {catchUp.TotalMilliseconds:0} ms" };
        }

        if (_fence != fence || data.RetiredBy is not null)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {range.Id} changed hands while preparing the merge.");
        }

        if (!_prepared.Contains((operationId, merged.Id)))
        {
            // The upper range is fenced by the overlord already: neither copy changes while this turn reads them.
            var result = new RangeData(merged, 0, isMaster: true);
            data.CopyInto(merged, isMaster: true, result);
            other.CopyInto(merged, isMaster: true, result);
            result.Sessions.AddCommitted(data.Sessions.Snapshot(long.MaxValue), time.GetTimestamp());
            result.Sessions.AddCommitted(other.Sessions.Snapshot(long.MaxValue), time.GetTimestamp());
            store.Put(result);
            _prepared.Add((operationId, merged.Id));
        }

        return Fenced(data, store.TryGet(merged.Id, out var built) ? built.Count : 0);
    }

    public Task CommitAsync(long operationId, Ring ring, bool keepAsReplica)
    {
        if (!IsCurrent)
        {
            return Task.CompletedTask;
        }

        var data = _data!;
        var range = ring.FindById(data.Range.Id);
        _prepared.RemoveAll(p => p.OperationId == operationId);
        if (range is not null && range.GrainKey == this.GetPrimaryKeyString())
        {
            // The master stays (its replicas changed): it takes the new configuration and serves again.
            if (ring.Version >= data.RingVersion)
            {
                Adopt(range, ring.Version);
            }
        }
        else if (keepAsReplica && range is not null && range.Replicas.Contains(data.Range.Master))
        {
            _replicas!.Stop();
            _replicas.FailWaiters(ring);
            store.Put(data.HandOverAsReplica(range, ring));
        }
        else
        {
            Retire(ring);
        }

        if (_fence is { } fence && fence.OperationId == operationId)
        {
            LogFenceEnded(logger, data.Range.Id, operationId, time.GetElapsedTime(fence.StartedTimestamp).TotalMilliseconds, ring.Version);
            LiftFence(fence);
        }

        return Task.CompletedTask;
    }

    public Task AbortAsync(long operationId)
    {
        if (_fence is { } fence && fence.OperationId == operationId)
        {
            LiftFence(fence);
        }

        _replicas?.DropCopies(operationId);
        ForgetPrepared(operationId, keep: null);
        return Task.CompletedTask;
    }

    /// <summary>The range this grain serves, or a refusal: a stale or retired master takes no part in operations.</summary>
    private RangeData ServingData() => IsCurrent
        ? _data!
        : throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range grain {this.GetPrimaryKeyString()} no longer serves its range.");

    private RangeFence BeginFence(long operationId)
    {
        if (_fence is { } current)
        {
            return current.OperationId == operationId
                ? current
                : throw new RingOperationException(DiMintErrorCode.OperationInProgress, $"Range {_data!.Range.Id} is fenced for operation {current.OperationId}.");
        }

        var fence = new RangeFence(operationId, time.GetTimestamp());
        _fence = fence;

        // Reads wait too: once the ring switches, the next owner serves, and this copy must not answer meanwhile.
        _data!.ChangeHeader(h => h with { Held = true });
        _ = WatchFenceAsync(fence);
        return fence;
    }

    private void LiftFence(RangeFence fence)
    {
        if (_fence == fence)
        {
            _fence = null;
            _data?.ChangeHeader(h => h with { Held = false });
        }

        fence.Lifted.TrySetResult();
    }

    /// <summary>Waits until no fence holds the range's requests.</summary>
    private async Task WaitOutFenceAsync()
    {
        while (_fence is { } fence)
        {
            await fence.Lifted.Task;
        }
    }

    private FenceResult Fenced(RangeData data, long keys) =>
        new() { Ok = true, AppliedSeq = data.AppliedSeq, Keys = keys, CaughtUp = [.. _replicas!.CaughtUp()], SourceEpoch = _epoch };

    /// <summary>
    /// A fence that lasts is asked about: the overlord may have restarted mid-operation. It answers with the ring, which
    /// either no longer names this master (step down) or does (lift the fence: the operation is off).
    /// </summary>
    private async Task WatchFenceAsync(RangeFence fence)
    {
        await Task.WhenAny(fence.Lifted.Task, Task.Delay(FenceResolveAfter, time));
        while (_fence == fence && IsCurrent)
        {
            var data = _data!;
            try
            {
                var verdict = await GrainFactory.GetGrain<IOverlordGrain>(GrainKeys.Overlord).ResolveFenceAsync(data.Range.Id, fence.OperationId).WaitAsync(FenceResolveTimeout);
                if (_fence == fence && !verdict.Wait && verdict.Ring is { } ring)
                {
                    var range = ring.FindById(data.Range.Id);
                    LogFenceResolved(logger, data.Range.Id, fence.OperationId, ring.Version);
                    if (range is null || range.GrainKey != this.GetPrimaryKeyString())
                    {
                        ForgetPrepared(fence.OperationId, keep: ring);
                        await CommitAsync(fence.OperationId, ring, keepAsReplica: false);
                    }
                    else
                    {
                        await AbortAsync(fence.OperationId);
                    }

                    return;
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                // Ask again.
            }

            await Task.WhenAny(fence.Lifted.Task, Task.Delay(FenceResolveEvery, time));
        }
    }

    /// <summary>Drops what an operation built here, except ranges <paramref name="keep"/> names (they are live).</summary>
    private void ForgetPrepared(long operationId, Ring? keep)
    {
        foreach (var (operation, rangeId) in _prepared.ToArray())
        {
            if (operation != operationId)
            {
                continue;
            }

            _prepared.Remove((operation, rangeId));
            if (keep?.FindById(rangeId) is null && store.TryGet(rangeId, out var built) && built.IsMaster)
            {
                store.Remove(rangeId);
            }
        }
    }

    /// <summary>A fence: writes wait on <see cref="Lifted"/>.</summary>
    private sealed class RangeFence(long operationId, long startedTimestamp)
    {
        public long OperationId { get; } = operationId;

        public long StartedTimestamp { get; } = startedTimestamp;

        public TaskCompletionSource Lifted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: fence of operation {OperationId} ended after {FenceMs} ms at ring version {RingVersion}")]
    private static partial void LogFenceEnded(ILogger logger, int rangeId, long operationId, double fenceMs, long ringVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: the fence of operation {OperationId} was resolved by the overlord with ring version {RingVersion}")]
    private static partial void LogFenceResolved(ILogger logger, int rangeId, long operationId, long ringVersion);
}
