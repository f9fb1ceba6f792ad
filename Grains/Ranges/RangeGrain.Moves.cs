using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The master's side of ring operations (driven by the overlord): copying the range to a move's target, the fence that
/// holds writes for the final catch-up, preparing split halves or a merged range, and the commit or abort that ends it.
/// </summary>
internal sealed partial class RangeGrain
{
    /// <summary>How long a fence may last before the master asks the overlord whether the operation is still on.</summary>
    private static readonly TimeSpan FenceResolveAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FenceResolveEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan AckPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>Ranges this grain built for an operation that the ring does not name yet.</summary>
    private readonly List<(long OperationId, int RangeId)> _prepared = [];
    private TaskCompletionSource _ackSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RangeFence? _fence;
    private IGrainTimer? _copyLeaseTimer;

    public Task<CopyProgress> StartCopyAsync(long operationId, SiloAddress target)
    {
        var data = ServingData();
        if (_feeds.TryGetValue(target, out var existing))
        {
            if (existing.IsLearner && existing.OperationId == operationId)
            {
                existing.LastAskedTimestamp = time.GetTimestamp();
                return Task.FromResult(Progress(existing, data));
            }

            throw new RingOperationException(
                existing.IsLearner ? DiMintErrorCode.OperationInProgress : DiMintErrorCode.InvalidRingOperation,
                $"Silo {target} already holds range {data.Range.Id} or receives it.");
        }

        if (target.Equals(data.Range.Master))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {target} already holds the master of range {data.Range.Id}.");
        }

        var feed = new ReplicaFeed(target, ReplicaOn(data.Range.Id, target), replicationChannel.LaneTo(target))
        {
            IsLearner = true,
            OperationId = operationId,
            LastAskedTimestamp = time.GetTimestamp(),
            SnapshotBytesTotal = data.Bytes,
        };
        lock (_replicationLock)
        {
            _feeds[target] = feed;
        }

        _ = RunFeedAsync(feed);
        _copyLeaseTimer ??= this.RegisterGrainTimer(DropAbandonedCopiesAsync, new GrainTimerCreationOptions(_rebalance.CopyLease / 4, _rebalance.CopyLease / 4) { Interleave = true });
        LogCopyStarted(logger, data.Range.Id, target.ToString(), data.Bytes, operationId);
        return Task.FromResult(Progress(feed, data));
    }

    public Task<CopyProgress> GetCopyProgressAsync(long operationId)
    {
        var data = ServingData();
        foreach (var feed in _feeds.Values)
        {
            if (feed.OperationId == operationId)
            {
                feed.LastAskedTimestamp = time.GetTimestamp();
                return Task.FromResult(Progress(feed, data));
            }
        }

        return Task.FromResult(new CopyProgress { Failed = true });
    }

    public async Task<FenceResult> FenceAsync(long operationId, SiloAddress? target, TimeSpan catchUp)
    {
        var data = ServingData();
        var fence = BeginFence(operationId);
        if (!await CatchUpAsync(data, target, catchUp))
        {
            LiftFence(fence);
            return new FenceResult { Ok = false, Reason = $"the copy on {target} did not catch up within {catchUp.TotalMilliseconds:0} ms" };
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
        await CatchUpAsync(data, target: null, catchUp);
        if (_fence != fence || data.RetiredBy is not null)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {range.Id} changed hands while preparing the split.");
        }

        if (!_prepared.Contains((operationId, lower.Id)))
        {
            // One pass, in this turn: the fence keeps writes out until the ring names the halves.
            var low = new RangeData(lower, 0, isMaster: true);
            var high = new RangeData(upper, 0, isMaster: true);
            foreach (var (key, value) in data.Entries)
            {
                (upper.Contains(KeyHash.Of(key)) ? high : low).Set(key, value);
            }

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
        await CatchUpAsync(data, target: null, catchUp);
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
            store.Put(result);
            _prepared.Add((operationId, merged.Id));
        }

        return Fenced(data, store.TryGet(merged.Id, out var built) ? built.Count : 0);
    }

    public Task CommitAsync(long operationId, Ring ring, bool keepAsReplica)
    {
        if (_data is not { RetiredBy: null } data)
        {
            return Task.CompletedTask;
        }

        var range = ring.FindById(data.Range.Id);
        if (range is not null && range.GrainKey == this.GetPrimaryKeyString())
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Ring version {ring.Version} still names {range.GrainKey} as master.");
        }

        _prepared.RemoveAll(p => p.OperationId == operationId);
        if (keepAsReplica && range is not null && range.Replicas.Contains(data.Range.Master))
        {
            StopReplication();
            FailWaiters(ring);
            store.Put(data.HandOverAsReplica(range, ring));
        }
        else
        {
            Retire(ring);
        }

        if (_fence is { } fence)
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

        foreach (var (silo, feed) in _feeds.ToArray())
        {
            if (feed.IsLearner && feed.OperationId == operationId)
            {
                DropCopy(silo, feed);
            }
        }

        ForgetPrepared(operationId, keep: null);
        return Task.CompletedTask;
    }

    /// <summary>The range this grain serves, or a refusal: a stale or retired master takes no part in operations.</summary>
    private RangeData ServingData() => _data is { RetiredBy: null } data
        ? data
        : throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range grain {this.GetPrimaryKeyString()} no longer serves its range.");

    private IRangeReplicaGrain ReplicaOn(int rangeId, SiloAddress silo) =>
        GrainFactory.GetGrain<IRangeReplicaGrain>($"{rangeId}/{silo.ToParsableString()}");

    private CopyProgress Progress(ReplicaFeed feed, RangeData data) => new()
    {
        BytesTotal = feed.SnapshotBytesTotal,
        BytesSent = feed.InSync ? Math.Max(feed.SnapshotBytesSent, feed.SnapshotBytesTotal) : feed.SnapshotBytesSent,
        KeysSent = feed.SnapshotKeysSent,
        InSync = feed.InSync && !feed.Failed,
        Lag = feed.AckedSeq < 0 ? data.AppliedSeq : data.AppliedSeq - feed.AckedSeq,
        Failed = feed.Stopped || (feed.FailingSinceTimestamp != 0 && time.GetElapsedTime(feed.FailingSinceTimestamp) >= _rebalance.CopyStallTimeout),
    };

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
        _ = WatchFenceAsync(fence);
        return fence;
    }

    private void LiftFence(RangeFence fence)
    {
        if (_fence == fence)
        {
            _fence = null;
        }

        fence.Lifted.TrySetResult();
    }

    /// <summary>Waits until a fence is lifted; the ring to answer Moved with when the range changed hands meanwhile.</summary>
    private async Task<Ring?> WaitOutFenceAsync()
    {
        while (_fence is { } fence)
        {
            await fence.Lifted.Task;
        }

        return _data?.RetiredBy;
    }

    /// <summary>
    /// Waits (fenced, so no new writes) until <paramref name="target"/> holds every write applied, and for at most
    /// <paramref name="catchUp"/> until every replica in sync does too. False when the target did not make it.
    /// </summary>
    private async Task<bool> CatchUpAsync(RangeData data, SiloAddress? target, TimeSpan catchUp)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var seq = data.AppliedSeq;
            var targetDone = target is null || (_feeds.TryGetValue(target, out var feed) && feed.InSync && !feed.Failed && feed.AckedSeq >= seq);
            var replicasDone = true;
            foreach (var replica in ReplicaFeeds())
            {
                replicasDone &= replica.Failed || !replica.InSync || replica.AckedSeq >= seq;
            }

            var left = catchUp - time.GetElapsedTime(started);
            if (targetDone && (replicasDone || left <= TimeSpan.Zero))
            {
                return true;
            }

            if (left <= TimeSpan.Zero || data.RetiredBy is not null)
            {
                return false;
            }

            if (_ackSignal.Task.IsCompleted)
            {
                _ackSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            await Task.WhenAny(_ackSignal.Task, Task.Delay(left < AckPoll ? left : AckPoll));
        }
    }

    private FenceResult Fenced(RangeData data, long keys)
    {
        var caughtUp = new List<SiloAddress>();
        foreach (var feed in ReplicaFeeds())
        {
            if (feed.InSync && !feed.Failed && feed.AckedSeq >= data.AppliedSeq)
            {
                caughtUp.Add(feed.Silo);
            }
        }

        return new FenceResult { Ok = true, AppliedSeq = data.AppliedSeq, Keys = keys, CaughtUp = [.. caughtUp], SourceEpoch = _epoch };
    }

    /// <summary>
    /// A fence that lasts is asked about: the overlord may have restarted mid-operation. It answers with the ring, which
    /// either no longer names this master (step down) or does (lift the fence: the operation is off).
    /// </summary>
    private async Task WatchFenceAsync(RangeFence fence)
    {
        await Task.WhenAny(fence.Lifted.Task, Task.Delay(FenceResolveAfter));
        while (_fence == fence && _data is { RetiredBy: null } data)
        {
            try
            {
                var verdict = await GrainFactory.GetGrain<IOverlordGrain>(GrainKeys.Overlord).ResolveFenceAsync(data.Range.Id, fence.OperationId).WaitAsync(FenceResolveAfter);
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

            await Task.WhenAny(fence.Lifted.Task, Task.Delay(FenceResolveEvery));
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

    private void DropCopy(SiloAddress silo, ReplicaFeed feed)
    {
        StopFeed(silo, feed);
        var rangeId = _data!.Range.Id;
        _ = feed.Replica.DropAsync(rangeId).ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        LogCopyDropped(logger, rangeId, silo.ToString(), feed.OperationId);
    }

    /// <summary>Copies nobody asks about any more (the overlord gave up or restarted) are dropped.</summary>
    private Task DropAbandonedCopiesAsync(CancellationToken cancellationToken)
    {
        foreach (var (silo, feed) in _feeds.ToArray())
        {
            if (feed.IsLearner && time.GetElapsedTime(feed.LastAskedTimestamp) >= _rebalance.CopyLease
                && (_fence is null || _fence.OperationId != feed.OperationId))
            {
                DropCopy(silo, feed);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>A fence: writes wait on <see cref="Lifted"/>.</summary>
    private sealed class RangeFence(long operationId, long startedTimestamp)
    {
        public long OperationId { get; } = operationId;

        public long StartedTimestamp { get; } = startedTimestamp;

        public TaskCompletionSource Lifted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: copying {Bytes} bytes to {Silo} for operation {OperationId}")]
    private static partial void LogCopyStarted(ILogger logger, int rangeId, string silo, long bytes, long operationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: copy on {Silo} for operation {OperationId} dropped")]
    private static partial void LogCopyDropped(ILogger logger, int rangeId, string silo, long operationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: fence of operation {OperationId} ended after {FenceMs} ms at ring version {RingVersion}")]
    private static partial void LogFenceEnded(ILogger logger, int rangeId, long operationId, double fenceMs, long ringVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: the fence of operation {OperationId} was resolved by the overlord with ring version {RingVersion}")]
    private static partial void LogFenceResolved(ILogger logger, int rangeId, long operationId, long ringVersion);
}
