using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Ranges;

/// <summary>The master's side of replication: the write log, one feed per replica, and acknowledgements.</summary>
internal sealed partial class RangeGrain
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);
    private const int MaxLogOps = 1_000_000;
    private readonly Dictionary<SiloAddress, ReplicaFeed> _feeds = [];
    private readonly List<AckWaiter> _waiters = [];

    /// <summary>
    /// Guards what the steady state of replication shares with other threads (<see cref="ReplicaFeed.Pumping"/>): the
    /// write log and sequence numbers, the set of feeds and their acknowledged positions, the waiting writes. Turns take
    /// it where they change these; acknowledgements take it on the thread that received them.
    /// </summary>
    private readonly Lock _replicationLock = new();
    private IGrainTimer? _ackTimer;

    public Task<RangeStats> ConfigureAsync(RangeInfo range, long ringVersion)
    {
        if (_data is null || _data.RetiredBy is not null || range.GrainKey != this.GetPrimaryKeyString())
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range grain {this.GetPrimaryKeyString()} is not the master of {range.GrainKey}.");
        }

        if (ringVersion >= _data.RingVersion)
        {
            _data.RingVersion = ringVersion;
            Reconfigure(range);
        }

        return Task.FromResult(_data.Stats(ReplicaLag(), CountReplicas(static f => f.InSync)));
    }

    /// <summary>
    /// Adopts <paramref name="range"/> (a newer replica set): starts feeds for new replicas, stops removed ones. A move's
    /// target the ring now names becomes a replica like the others.
    /// </summary>
    private void Reconfigure(RangeInfo range)
    {
        _data!.Range = range;
        foreach (var (silo, feed) in _feeds.ToArray())
        {
            if (range.Replicas.Contains(silo))
            {
                lock (_replicationLock)
                {
                    feed.IsLearner = false;
                }
            }
            else if (!feed.IsLearner)
            {
                StopFeed(silo, feed);
            }
        }

        StartReplication();
        CompleteWaiters();
    }

    private void StartReplication()
    {
        foreach (var silo in _data!.Range.Replicas)
        {
            if (_feeds.ContainsKey(silo))
            {
                continue;
            }

            var feed = new ReplicaFeed(silo, ReplicaOn(_data.Range.Id, silo), replicationChannel.LaneTo(silo));
            lock (_replicationLock)
            {
                _feeds[silo] = feed;
            }

            _ = RunFeedAsync(feed);
        }
    }

    private void StopReplication()
    {
        foreach (var (silo, feed) in _feeds.ToArray())
        {
            StopFeed(silo, feed);
        }
    }

    /// <summary>Stops a feed's loop and its steady state, and forgets it.</summary>
    private void StopFeed(SiloAddress silo, ReplicaFeed feed)
    {
        lock (_replicationLock)
        {
            feed.Stopped = true;
            feed.Pumping = false;
            _feeds.Remove(silo);
        }

        feed.PumpExit.TrySetResult(default);
    }

    /// <summary>Acknowledgements a write needs: WriteAcks, capped by the replicas the range has.</summary>
    private int RequiredAcks() => Math.Min(_replication.WriteAcks, CountReplicas(static _ => true));

    /// <summary>The feeds of the replicas the ring names (not a move's target).</summary>
    private IEnumerable<ReplicaFeed> ReplicaFeeds() => _feeds.Values.Where(f => !f.IsLearner);

    /// <summary>The replicas (not a move's target) that match: a plain loop, as it runs for every write.</summary>
    private int CountReplicas(Func<ReplicaFeed, bool> match)
    {
        var count = 0;
        foreach (var feed in _feeds.Values)
        {
            if (!feed.IsLearner && match(feed))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Refuses a write up front, before changing anything, when too few replicas can possibly confirm it.</summary>
    private void CheckReplicasAvailable()
    {
        var required = RequiredAcks();
        if (required == 0)
        {
            return;
        }

        var reachable = CountReplicas(static f => !f.Failed);
        if (reachable < required)
        {
            throw new NotEnoughReplicasException(_data!.Range.Id, required, reachable);
        }
    }

    /// <summary>
    /// Gives a write applied locally its sequence number and keeps it in the log for the replicas; the caller holds
    /// <see cref="_replicationLock"/> and calls <see cref="Replicate"/> once its writes are recorded.
    /// </summary>
    private long Record(ReplicationOp op)
    {
        var seq = ++_data!.AppliedSeq;
        if (_feeds.Count == 0)
        {
            return seq;
        }

        var log = _data.Log;
        log.Append(seq, op);
        if (log.LastSeq - log.FirstSeq >= MaxLogOps)
        {
            // A replica that far behind catches up from a snapshot instead.
            log.TruncateThrough(log.LastSeq - MaxLogOps);
        }

        return seq;
    }

    /// <summary>
    /// Sends what was recorded from the feeds in their steady state, unless a batch of theirs is on its way (then it
    /// leaves with the next one). A feed catching up sends it when it reaches its steady state.
    /// </summary>
    private void Replicate()
    {
        ReplicaFeed[] feeds;
        lock (_replicationLock)
        {
            if (_feeds.Count == 0)
            {
                return;
            }

            feeds = [.. _feeds.Values];
        }

        foreach (var feed in feeds)
        {
            Pump(feed);
        }
    }

    /// <summary>
    /// Answers Ok once enough replicas hold write <paramref name="seq"/> (Moved if this master was replaced meanwhile),
    /// completing where the acknowledgement that did it arrived: a caller off the grain's scheduler (a write from the
    /// data port) answers from there.
    /// </summary>
    private Task<WriteResult> AcknowledgeAsync(long seq) =>
        WaiterFor(seq) is { } waiter ? AnswerWhenAckedAsync(waiter.Completion.Task) : Task.FromResult(WriteResult.Ok);

    private static async Task<WriteResult> AnswerWhenAckedAsync(Task<Ring?> acknowledged)
    {
        // Off the grain's scheduler on purpose (ORLEANS0014): the answer goes out where the acknowledgement arrived.
#pragma warning disable ORLEANS0014
        var moved = await acknowledged.ConfigureAwait(false);
#pragma warning restore ORLEANS0014
        return moved is null ? WriteResult.Ok : new WriteResult { Status = RangeStatus.Moved, Ring = moved };
    }

    /// <summary>Null when enough replicas hold write <paramref name="seq"/> already, else a waiter for them.</summary>
    private AckWaiter? WaiterFor(long seq)
    {
        AckWaiter waiter;
        lock (_replicationLock)
        {
            var required = RequiredAcks();
            if (required == 0 || Acked(seq) >= required)
            {
                return null;
            }

            waiter = new AckWaiter(seq, time.GetTimestamp() + (long)(_replication.AckTimeout.TotalSeconds * time.TimestampFrequency));
            _waiters.Add(waiter);
        }

        // No timer per write: one grain timer fails the waiters whose time is up (within a quarter of AckTimeout).
        _ackTimer ??= this.RegisterGrainTimer(ExpireWaitersAsync, new GrainTimerCreationOptions(_replication.AckTimeout / 4, _replication.AckTimeout / 4) { Interleave = true });
        return waiter;
    }

    /// <summary>Fails the writes that waited <see cref="ReplicationOptions.AckTimeout"/> for their acknowledgements.</summary>
    private Task ExpireWaitersAsync(CancellationToken cancellationToken)
    {
        if (_data is not { } data)
        {
            return Task.CompletedTask;
        }

        List<(AckWaiter Waiter, int Acked)>? expired = null;
        int required;
        lock (_replicationLock)
        {
            var now = time.GetTimestamp();
            required = RequiredAcks();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].DeadlineTimestamp <= now)
                {
                    (expired ??= []).Add((_waiters[i], Acked(_waiters[i].Seq)));
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var (waiter, acked) in expired ?? [])
        {
            waiter.Completion.TrySetException(new NotEnoughReplicasException(data.Range.Id, required, acked));
        }

        return Task.CompletedTask;
    }

    /// <summary>How many replicas (not a move's target) in sync hold write <paramref name="seq"/>; under <see cref="_replicationLock"/>.</summary>
    private int Acked(long seq)
    {
        var count = 0;
        foreach (var feed in _feeds.Values)
        {
            if (!feed.IsLearner && feed.InSync && feed.AckedSeq >= seq)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Answers the writes that enough replicas now hold.</summary>
    private void CompleteWaiters()
    {
        List<AckWaiter>? done;
        lock (_replicationLock)
        {
            done = TakeCompletedWaiters();
        }

        Complete(done, null);
    }

    /// <summary>Removes and returns the waiters whose writes enough replicas hold; under <see cref="_replicationLock"/>.</summary>
    private List<AckWaiter>? TakeCompletedWaiters()
    {
        if (_waiters.Count == 0)
        {
            return null;
        }

        // Waiters are in write order, and a replica that holds a write holds the earlier ones: the done ones lead.
        var required = RequiredAcks();
        var count = 0;
        while (count < _waiters.Count && (required == 0 || Acked(_waiters[count].Seq) >= required))
        {
            count++;
        }

        if (count == 0)
        {
            return null;
        }

        var done = _waiters.GetRange(0, count);
        _waiters.RemoveRange(0, count);
        return done;
    }

    /// <summary>Completes <paramref name="waiters"/> (holding no lock: their callers' continuations may run here).</summary>
    private static void Complete(List<AckWaiter>? waiters, Ring? moved)
    {
        foreach (var waiter in waiters ?? [])
        {
            waiter.Completion.TrySetResult(moved);
        }
    }

    private void FailWaiters(Ring ring)
    {
        List<AckWaiter> all;
        lock (_replicationLock)
        {
            all = [.. _waiters];
            _waiters.Clear();
        }

        Complete(all, ring);
    }

    private long ReplicaLag()
    {
        long lag = 0;
        foreach (var feed in ReplicaFeeds())
        {
            lag = Math.Max(lag, feed.AckedSeq < 0 ? _data!.AppliedSeq : _data!.AppliedSeq - feed.AckedSeq);
        }

        return lag;
    }

    /// <summary>
    /// Brings one replica up to date and keeps it there: resumes it or sends it a snapshot, then hands it to the steady
    /// state (<see cref="PumpAsync"/>: one batch in flight, batching what accumulated meanwhile) until that ends, and
    /// handles what ended it.
    /// </summary>
    private async Task RunFeedAsync(ReplicaFeed feed)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!feed.Stopped && _data is { RetiredBy: null } data)
        {
            try
            {
                bool covered;
                lock (_replicationLock)
                {
                    covered = data.Log.Covers(feed.AckedSeq, data.AppliedSeq);
                }

                if (feed.AckedSeq < 0)
                {
                    await ResumeOrSnapshotAsync(feed, data);
                }
                else if (!feed.InSync || !covered)
                {
                    await SendSnapshotAsync(feed, data);
                }
                else
                {
                    // The steady state: writes leave and acknowledgements are handled without this loop's turns,
                    // until something needs it (an error, another answer than Ok, a replica too far behind).
                    var (ack, error) = await PumpAsync(feed);
                    if (error is not null)
                    {
                        if (!feed.Failed)
                        {
                            backoff = TimeSpan.FromMilliseconds(50);
                        }

                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                    }

                    if (ack is not null)
                    {
                        await OnAckAsync(feed, ack);
                    }
                }

                feed.Failed = false;
                feed.FailingSinceTimestamp = 0;
                backoff = TimeSpan.FromMilliseconds(50);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                feed.RangeSent = null;
                if (!feed.Failed)
                {
                    LogFeedFailed(logger, data.Range.Id, feed.Silo.ToString(), ex.Message);
                }

                feed.Failed = true;
                if (feed.FailingSinceTimestamp == 0)
                {
                    feed.FailingSinceTimestamp = time.GetTimestamp();
                }

                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Learns where a replica stands: it resumes from there if it follows this master, or holds exactly the history this
    /// master took over (a replica of the previous master at the hand-over write); else it gets a snapshot.
    /// </summary>
    private async Task ResumeOrSnapshotAsync(ReplicaFeed feed, RangeData data)
    {
        var state = await feed.Replica.GetStateAsync(data.Range.Id).WaitAsync(_replication.AckTimeout);
        bool covered;
        lock (_replicationLock)
        {
            covered = data.Log.Covers(state.AppliedSeq, data.AppliedSeq);
        }

        var follows = state.Epoch == _epoch && state.AppliedSeq <= data.AppliedSeq && covered;
        var inherited = state.Epoch == data.SourceEpoch && state.Epoch != _epoch && state.AppliedSeq == data.LineageSeq && covered;
        if (state.Complete && (follows || inherited))
        {
            if (inherited)
            {
                // An empty batch makes the replica follow this master's epoch from now on.
                var ack = await feed.Replica.ApplyAsync(new ReplicationBatch
                {
                    Range = data.Range,
                    Kind = ReplicationBatchKind.Ops,
                    FirstSeq = state.AppliedSeq + 1,
                    LineageEpoch = data.SourceEpoch,
                }).WaitAsync(_replication.AckTimeout);
                if (ack.Status != ReplicaAckStatus.Ok)
                {
                    await OnAckAsync(feed, ack);
                    return;
                }
            }

            lock (_replicationLock)
            {
                feed.AckedSeq = state.AppliedSeq;
                feed.InSync = true;
            }

            AfterAck();
            return;
        }

        await SendSnapshotAsync(feed, data);
    }

    /// <summary>
    /// Copies the range to a replica in chunks while writes go on: the writes after the snapshot's sequence number
    /// follow from the log, so the replica ends with the master's state.
    /// </summary>
    private async Task SendSnapshotAsync(ReplicaFeed feed, RangeData data)
    {
        var seq = data.AppliedSeq;
        var range = data.Range;
        lock (_replicationLock)
        {
            feed.InSync = false;
            feed.AckedSeq = seq;
        }

        if (!await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotStart, FirstSeq = seq }))
        {
            return;
        }

        var keys = data.Entries.Keys.ToArray();
        var chunk = new List<ReplicationOp>();
        long bytes = 0;
        feed.SnapshotBytesTotal = data.Bytes;
        feed.SnapshotBytesSent = 0;
        feed.SnapshotKeysSent = 0;
        var started = time.GetTimestamp();
        foreach (var key in keys)
        {
            if (feed.Stopped || data.RetiredBy is not null)
            {
                return;
            }

            if (!data.TryGet(key, out var value))
            {
                continue;
            }

            chunk.Add(new ReplicationOp { Key = key, Value = value });
            bytes += RangeData.SizeOf(key, value);
            if (bytes >= _replication.SnapshotChunkBytes)
            {
                if (!await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotChunk, FirstSeq = seq, Ops = [.. chunk] }))
                {
                    return;
                }

                feed.SnapshotBytesSent += bytes;
                feed.SnapshotKeysSent += chunk.Count;
                chunk.Clear();
                bytes = 0;
                await ThrottleAsync(feed.SnapshotBytesSent, started);
            }
        }

        if (chunk.Count > 0 && !await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotChunk, FirstSeq = seq, Ops = [.. chunk] }))
        {
            return;
        }

        feed.SnapshotBytesSent += bytes;
        feed.SnapshotKeysSent += chunk.Count;

        if (await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotEnd, FirstSeq = seq }))
        {
            lock (_replicationLock)
            {
                feed.InSync = true;
                feed.AckedSeq = seq;
            }

            LogSnapshotSent(logger, range.Id, feed.Silo.ToString(), keys.Length, seq);
            AfterAck();
        }
    }

    /// <summary>Holds a snapshot back to <see cref="RebalanceOptions.TransferBytesPerSecond"/>, so foreground requests keep their latency.</summary>
    private async Task ThrottleAsync(long sent, long startedTimestamp)
    {
        var rate = _rebalance.TransferBytesPerSecond;
        if (rate <= 0)
        {
            return;
        }

        var due = TimeSpan.FromSeconds((double)sent / rate) - time.GetElapsedTime(startedTimestamp);
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due);
        }
    }

    /// <summary>Sends one snapshot batch; false when the snapshot must stop (the replica wants another, or this master is deposed).</summary>
    private async Task<bool> SendAsync(ReplicaFeed feed, ReplicationBatch batch)
    {
        var ack = await feed.Replica.ApplyAsync(batch).WaitAsync(_replication.AckTimeout);
        if (ack.Status == ReplicaAckStatus.Ok)
        {
            return true;
        }

        await OnAckAsync(feed, ack);
        return false;
    }

    private async Task OnAckAsync(ReplicaFeed feed, ReplicaAck ack)
    {
        switch (ack.Status)
        {
            case ReplicaAckStatus.Ok:
                lock (_replicationLock)
                {
                    feed.AckedSeq = ack.AppliedSeq;
                }

                AfterAck();
                break;
            case ReplicaAckStatus.NeedSnapshot:
                lock (_replicationLock)
                {
                    feed.RangeSent = null;
                    feed.InSync = false;
                    feed.AckedSeq = -1;
                }

                break;
            case ReplicaAckStatus.StaleEpoch:
                // A replica follows a newer master: this one has been replaced. Learn the ring and step down.
                LogDeposed(logger, _data!.Range.Id, _epoch, ack.Epoch);
                var ring = await ringCache.RefreshAsync();
                if (_data is not null && ring.FindById(_data.Range.Id)?.GrainKey != this.GetPrimaryKeyString())
                {
                    Retire(ring);
                }
                else
                {
                    feed.Failed = true;
                    await Task.Delay(MaxBackoff);
                }

                break;
        }
    }

    private void AfterAck()
    {
        List<AckWaiter>? done;
        lock (_replicationLock)
        {
            done = Acknowledged();
        }

        Complete(done, null);
    }

    /// <summary>
    /// After an acknowledgement, under <see cref="_replicationLock"/>: takes the writes that now have their
    /// acknowledgements (for the caller to complete once it let go of the lock), forgets the writes every replica holds,
    /// reports the lag, and wakes what waits for replicas to catch up.
    /// </summary>
    private List<AckWaiter>? Acknowledged()
    {
        var done = TakeCompletedWaiters();
        if (_data is not { } data)
        {
            return done;
        }

        var min = long.MaxValue;
        foreach (var feed in _feeds.Values)
        {
            min = Math.Min(min, feed.AckedSeq < 0 ? data.Log.FirstSeq - 1 : feed.AckedSeq);
        }

        if (min != long.MaxValue)
        {
            data.Log.TruncateThrough(min);
        }

        store.ReportReplication(data.Range.Id, ReplicaLag(), CountReplicas(static f => f.InSync));
        _ackSignal.TrySetResult();
        return done;
    }

    /// <summary>
    /// Puts <paramref name="feed"/> in its steady state and waits until it ends: answers the acknowledgement or error that
    /// ended it, or neither when the feed stopped or must catch up another way.
    /// </summary>
    private Task<(ReplicaAck? Ack, Exception? Error)> PumpAsync(ReplicaFeed feed)
    {
        Task<(ReplicaAck? Ack, Exception? Error)> exit;
        lock (_replicationLock)
        {
            if (feed.Stopped)
            {
                return Task.FromResult<(ReplicaAck?, Exception?)>(default);
            }

            feed.PumpExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
            feed.Pumping = true;
            exit = feed.PumpExit.Task;
        }

        Pump(feed);
        return exit;
    }

    /// <summary>Ends a feed's steady state; under <see cref="_replicationLock"/> (the loop resumes on its own turn).</summary>
    private static void EndPump(ReplicaFeed feed, ReplicaAck? ack, Exception? error)
    {
        feed.Pumping = false;
        feed.PumpExit.TrySetResult((ack, error));
    }

    /// <summary>
    /// Sends the writes a feed in its steady state has not sent, unless a batch is on its way: from any thread (the
    /// turn that recorded them, or the one that received the last acknowledgement).
    /// </summary>
    private void Pump(ReplicaFeed feed)
    {
        ReplicationBatch batch;
        RangeInfo range;
        bool withRange;
        lock (_replicationLock)
        {
            if (!feed.Pumping || feed.InFlight)
            {
                return;
            }

            if (feed.Stopped || _data is not { RetiredBy: null } data || !data.Log.Covers(feed.AckedSeq, data.AppliedSeq))
            {
                EndPump(feed, null, null);
                return;
            }

            if (feed.AckedSeq >= data.AppliedSeq)
            {
                return;
            }

            var from = feed.AckedSeq + 1;
            range = data.Range;
            withRange = !ReferenceEquals(feed.RangeSent, range);
            batch = new ReplicationBatch
            {
                RangeId = range.Id,
                Epoch = range.Epoch,
                Range = withRange ? range : null,
                Kind = ReplicationBatchKind.Ops,
                FirstSeq = from,
                Ops = data.Log.Slice(from, _replication.MaxBatchOps),
                LineageEpoch = data.SourceEpoch,
            };
            feed.InFlight = true;
        }

        _ = SendPumpedAsync(feed, batch, range, withRange);
    }

    /// <summary>Sends one batch of the steady state; its acknowledgement is handled where it arrives.</summary>
    private async Task SendPumpedAsync(ReplicaFeed feed, ReplicationBatch batch, RangeInfo range, bool withRange)
    {
        ReplicaAck? ack = null;
        Exception? error = null;
        try
        {
            // Off the grain's scheduler on purpose (ORLEANS0014): what follows runs where the acknowledgement arrives,
            // and touches grain state only under _replicationLock.
#pragma warning disable ORLEANS0014
            ack = await feed.Lane.Send(batch).ConfigureAwait(false);
#pragma warning restore ORLEANS0014
        }
        catch (Exception ex)
        {
            error = ex;
        }

        List<AckWaiter>? done;
        lock (_replicationLock)
        {
            feed.InFlight = false;
            if (!feed.Pumping)
            {
                return;
            }

            if (ack is not { Status: ReplicaAckStatus.Ok })
            {
                EndPump(feed, ack, error);
                return;
            }

            if (withRange)
            {
                feed.RangeSent = range;
            }

            feed.AckedSeq = ack.AppliedSeq;
            feed.Failed = false;
            feed.FailingSinceTimestamp = 0;
            done = Acknowledged();
        }

        Complete(done, null);
        Pump(feed);
    }

    /// <summary>A write waiting for its acknowledgements; completes with null when acknowledged, or with the ring that replaced this master.</summary>
    private sealed class AckWaiter(long seq, long deadlineTimestamp)
    {
        public long Seq { get; } = seq;

        /// <summary>When the write stops waiting (<see cref="TimeProvider.GetTimestamp"/>) and fails with NotEnoughReplicas.</summary>
        public long DeadlineTimestamp { get; } = deadlineTimestamp;

        /// <summary>
        /// Completed holding no lock; a caller awaiting it off the grain's scheduler (a write from the data port) continues
        /// on the completing thread and answers from there.
        /// </summary>
        public TaskCompletionSource<Ring?> Completion { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: replica on {Silo} is unreachable: {Reason}")]
    private static partial void LogFeedFailed(ILogger logger, int rangeId, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: snapshot of {Keys} keys at write {Seq} sent to the replica on {Silo}")]
    private static partial void LogSnapshotSent(ILogger logger, int rangeId, string silo, int keys, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: the master at epoch {Epoch} was replaced (a replica follows epoch {NewEpoch})")]
    private static partial void LogDeposed(ILogger logger, int rangeId, long epoch, long newEpoch);
}
