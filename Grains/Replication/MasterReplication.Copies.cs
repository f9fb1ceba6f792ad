namespace DiMint.Grains.Replication;

/// <summary>
/// Ring operations' side of replication: learners (a move's target, a replica being added) fed like replicas but counted
/// toward nothing, and the catch-up a fence waits for before the ring may switch to a new configuration.
/// </summary>
internal sealed partial class MasterReplication
{
    /// <summary>Starts feeding <paramref name="target"/> as a learner for <paramref name="operationId"/> (or reports the copy under way).</summary>
    /// <exception cref="RingOperationException">The target holds the range already, or receives it for another operation.</exception>
    public CopyProgress StartCopy(long operationId, SiloAddress target)
    {
        ReplicaFeed feed;
        lock (_lock)
        {
            if (_feeds.TryGetValue(target, out var existing))
            {
                if (existing.IsLearner && existing.OperationId == operationId)
                {
                    existing.LastAskedTimestamp = _time.GetTimestamp();
                    return ProgressLocked(existing);
                }

                throw new RingOperationException(
                    existing.IsLearner ? DiMintErrorCode.OperationInProgress : DiMintErrorCode.InvalidRingOperation,
                    $"Silo {target} already holds range {RangeId} or receives it.");
            }

            if (target.Equals(_data.Range.Master))
            {
                throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {target} already holds the master of range {RangeId}.");
            }

            feed = NewFeed(target);
            feed.IsLearner = true;
            feed.OperationId = operationId;
            feed.LastAskedTimestamp = _time.GetTimestamp();
            feed.SnapshotBytesTotal = _data.Bytes;
            _feeds[target] = feed;
        }

        _ = Task.Run(() => RunFeedAsync(feed));
        LogCopyStarted(_logger, RangeId, target.ToString(), _data.Bytes, operationId);
        lock (_lock)
        {
            return ProgressLocked(feed);
        }
    }

    /// <summary>How the copy of <paramref name="operationId"/> is doing; Failed when there is none.</summary>
    public CopyProgress GetCopyProgress(long operationId)
    {
        lock (_lock)
        {
            foreach (var feed in _feeds.Values)
            {
                if (feed.IsLearner && feed.OperationId == operationId)
                {
                    feed.LastAskedTimestamp = _time.GetTimestamp();
                    return ProgressLocked(feed);
                }
            }
        }

        return new CopyProgress { Failed = true };
    }

    /// <summary>Stops feeding the learners of <paramref name="operationId"/> and drops their copies.</summary>
    public void DropCopies(long operationId)
    {
        List<ReplicaFeed> dropped = [];
        lock (_lock)
        {
            foreach (var (silo, feed) in _feeds.ToArray())
            {
                if (feed.IsLearner && feed.OperationId == operationId)
                {
                    StopFeedLocked(silo, feed);
                    dropped.Add(feed);
                }
            }
        }

        foreach (var feed in dropped)
        {
            _ = feed.Replica.DropAsync(RangeId).ContinueWith(
                static t => _ = t.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            LogCopyDropped(_logger, RangeId, feed.Silo.ToString(), operationId);
        }
    }

    /// <summary>Copies nobody asked about for <see cref="Hosting.RebalanceOptions.CopyLease"/> (the overlord gave up or restarted).</summary>
    private void DropAbandonedCopies()
    {
        List<long>? abandoned = null;
        lock (_lock)
        {
            foreach (var feed in _feeds.Values)
            {
                if (feed.IsLearner && _time.GetElapsedTime(feed.LastAskedTimestamp) >= _rebalance.CopyLease)
                {
                    (abandoned ??= []).Add(feed.OperationId);
                }
            }
        }

        foreach (var operationId in abandoned ?? [])
        {
            DropCopies(operationId);
        }
    }

    /// <summary>
    /// Waits (the caller's fence keeps new writes out) until the configuration <paramref name="next"/> may take over: a
    /// write quorum of its copies holds every write applied here, the new master among them when it changes; and, for at
    /// most <paramref name="catchUp"/>, until every replica in sync that <paramref name="next"/> keeps on a live silo does
    /// too (they then need no snapshot afterwards).
    /// False when the quorum did not make it in time.
    /// </summary>
    public async Task<bool> CatchUpAsync(RangeInfo next, TimeSpan catchUp)
    {
        bool InNext(ReplicaFeed feed) => next.Master.Equals(feed.Silo) || next.Replicas.Contains(feed.Silo);

        var required = Quorums.Of(next.Replicas.Length, _options.WriteAcks).Write;
        var started = _time.GetTimestamp();
        while (true)
        {
            bool quorum, all;
            Task progress;
            lock (_lock)
            {
                var seq = _data.AppliedSeq;
                var self = _data.Range.Master;
                var holders = next.Master.Equals(self) || next.Replicas.Contains(self) ? 1 : 0;
                var newMasterHolds = next.Master.Equals(self);
                all = true;
                foreach (var feed in _feeds.Values)
                {
                    var holds = feed.InSync && !feed.Failed && feed.AckedSeq >= seq;
                    if (feed.IsLearner)
                    {
                        feed.LastAskedTimestamp = _time.GetTimestamp();
                    }
                    else if (feed.InSync && !feed.Failed && InNext(feed) && !_channel.IsDead(feed.Silo))
                    {
                        // Only the copies the new configuration keeps are waited for, and only on silos not declared
                        // dead: a replica it replaces, or one it keeps on a dead incarnation (a move planned before the
                        // copy's repair), whose batch waits out AckTimeout, would hold the fence for nothing.
                        all &= holds;
                    }

                    if (holds && InNext(feed))
                    {
                        holders++;
                        newMasterHolds |= next.Master.Equals(feed.Silo);
                    }
                }

                quorum = holders >= required && newMasterHolds;
                progress = _progress.Task;
            }

            var left = catchUp - _time.GetElapsedTime(started);
            if (quorum && (all || left <= TimeSpan.Zero))
            {
                return true;
            }

            if (left <= TimeSpan.Zero || _data.RetiredBy is not null)
            {
                return false;
            }

            PumpAll(HeartbeatMode.None);
            var poll = TimeSpan.FromMilliseconds(20);
#pragma warning disable ORLEANS0014 // The caller's turn waits here; progress completes on replication threads.
            await Task.WhenAny(progress, Task.Delay(left < poll ? left : poll, _time));
#pragma warning restore ORLEANS0014
        }
    }

    /// <summary>The replicas (not learners) that hold every write applied here.</summary>
    public SiloAddress[] CaughtUp()
    {
        lock (_lock)
        {
            return [.. _feeds.Values.Where(f => !f.IsLearner && f.InSync && !f.Failed && f.AckedSeq >= _data.AppliedSeq).Select(f => f.Silo)];
        }
    }

    /// <summary>Under <see cref="_lock"/>: a copy's progress for the overlord.</summary>
    private CopyProgress ProgressLocked(ReplicaFeed feed) => new()
    {
        BytesTotal = feed.SnapshotBytesTotal,
        BytesSent = feed.InSync ? Math.Max(feed.SnapshotBytesSent, feed.SnapshotBytesTotal) : feed.SnapshotBytesSent,
        KeysSent = feed.SnapshotKeysSent,
        InSync = feed.InSync && !feed.Failed,
        Lag = feed.AckedSeq < 0 ? _data.AppliedSeq : _data.AppliedSeq - feed.AckedSeq,
        // The copy cannot end while this master is deposed, or fenced (its own copy or the target's) for a newer epoch.
        Failed = feed.Stopped || !IsServingLocked() || feed.FencedPastEpoch != 0
            || (feed.FailingSinceTimestamp != 0 && _time.GetElapsedTime(feed.FailingSinceTimestamp) >= _rebalance.CopyStallTimeout),
    };
}
