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
                feed.IsLearner = false;
            }
            else if (!feed.IsLearner)
            {
                feed.Stopped = true;
                feed.Wake();
                _feeds.Remove(silo);
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
            _feeds[silo] = feed;
            _ = RunFeedAsync(feed);
        }
    }

    private void StopReplication()
    {
        foreach (var feed in _feeds.Values)
        {
            feed.Stopped = true;
            feed.Wake();
        }

        _feeds.Clear();
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

    /// <summary>Gives a write applied locally its sequence number and queues it for the replicas.</summary>
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

        foreach (var feed in _feeds.Values)
        {
            feed.Wake();
        }

        return seq;
    }

    /// <summary>Waits until enough replicas hold write <paramref name="seq"/>, then answers <paramref name="ok"/>.</summary>
    private async Task<WriteResult> AcknowledgeAsync(long seq, WriteResult ok)
    {
        var required = RequiredAcks();
        if (required == 0 || Acked(seq) >= required)
        {
            return ok;
        }

        // No timer per write: one grain timer fails the waiters whose time is up (within a quarter of AckTimeout).
        var waiter = new AckWaiter(seq, time.GetTimestamp() + (long)(_replication.AckTimeout.TotalSeconds * time.TimestampFrequency));
        _waiters.Add(waiter);
        _ackTimer ??= this.RegisterGrainTimer(ExpireWaitersAsync, new GrainTimerCreationOptions(_replication.AckTimeout / 4, _replication.AckTimeout / 4) { Interleave = true });
        var moved = await waiter.Completion.Task;
        return moved is null ? ok : new WriteResult { Status = RangeStatus.Moved, Ring = moved };
    }

    /// <summary>Fails the writes that waited <see cref="ReplicationOptions.AckTimeout"/> for their acknowledgements.</summary>
    private Task ExpireWaitersAsync(CancellationToken cancellationToken)
    {
        if (_waiters.Count == 0 || _data is null)
        {
            return Task.CompletedTask;
        }

        var now = time.GetTimestamp();
        var required = RequiredAcks();
        foreach (var waiter in _waiters)
        {
            if (waiter.DeadlineTimestamp <= now)
            {
                waiter.Completion.TrySetException(new NotEnoughReplicasException(_data.Range.Id, required, Acked(waiter.Seq)));
            }
        }

        _waiters.RemoveAll(static w => w.Completion.Task.IsCompleted);
        return Task.CompletedTask;
    }

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

    private void CompleteWaiters()
    {
        if (_waiters.Count == 0)
        {
            return;
        }

        var required = RequiredAcks();
        var completed = false;
        foreach (var waiter in _waiters)
        {
            if (required == 0 || Acked(waiter.Seq) >= required)
            {
                completed |= waiter.Completion.TrySetResult(null);
            }
        }

        if (completed)
        {
            _waiters.RemoveAll(static w => w.Completion.Task.IsCompleted);
        }
    }

    private void FailWaiters(Ring ring)
    {
        foreach (var waiter in _waiters)
        {
            waiter.Completion.TrySetResult(ring);
        }

        _waiters.Clear();
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

    /// <summary>Sends writes to one replica in order, one call in flight, batching what accumulated meanwhile.</summary>
    private async Task RunFeedAsync(ReplicaFeed feed)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!feed.Stopped && _data is { RetiredBy: null } data)
        {
            try
            {
                if (feed.AckedSeq < 0)
                {
                    await ResumeOrSnapshotAsync(feed, data);
                }
                else if (feed.AckedSeq >= data.AppliedSeq)
                {
                    await feed.WaitAsync();
                    continue;
                }
                else if (!feed.InSync || !_data!.Log.Covers(feed.AckedSeq, data.AppliedSeq))
                {
                    await SendSnapshotAsync(feed, data);
                }
                else
                {
                    var from = feed.AckedSeq + 1;
                    var ops = _data!.Log.Slice(from, _replication.MaxBatchOps);
                    var range = data.Range;
                    var withRange = !ReferenceEquals(feed.RangeSent, range);
                    var ack = await feed.Lane.Send(new ReplicationBatch
                    {
                        RangeId = range.Id,
                        Epoch = range.Epoch,
                        Range = withRange ? range : null,
                        Kind = ReplicationBatchKind.Ops,
                        FirstSeq = from,
                        Ops = ops,
                        LineageEpoch = data.SourceEpoch,
                    });
                    if (withRange && ack.Status == ReplicaAckStatus.Ok)
                    {
                        feed.RangeSent = range;
                    }

                    await OnAckAsync(feed, ack);
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
        var follows = state.Epoch == _epoch && state.AppliedSeq <= data.AppliedSeq && _data!.Log.Covers(state.AppliedSeq, data.AppliedSeq);
        var inherited = state.Epoch == data.SourceEpoch && state.Epoch != _epoch && state.AppliedSeq == data.LineageSeq
            && _data!.Log.Covers(state.AppliedSeq, data.AppliedSeq);
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

            feed.AckedSeq = state.AppliedSeq;
            feed.InSync = true;
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
        feed.InSync = false;
        feed.AckedSeq = seq;
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
            feed.InSync = true;
            feed.AckedSeq = seq;
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
                feed.AckedSeq = ack.AppliedSeq;
                AfterAck();
                break;
            case ReplicaAckStatus.NeedSnapshot:
                feed.RangeSent = null;
                feed.InSync = false;
                feed.AckedSeq = -1;
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
        CompleteWaiters();
        _ackSignal.TrySetResult();
        var min = long.MaxValue;
        foreach (var feed in _feeds.Values)
        {
            min = Math.Min(min, feed.AckedSeq < 0 ? _data!.Log.FirstSeq - 1 : feed.AckedSeq);
        }

        if (min != long.MaxValue)
        {
            _data!.Log.TruncateThrough(min);
        }

        store.ReportReplication(_data!.Range.Id, ReplicaLag(), CountReplicas(static f => f.InSync));
    }

    /// <summary>A write waiting for its acknowledgements; completes with null when acknowledged, or with the ring that replaced this master.</summary>
    private sealed class AckWaiter(long seq, long deadlineTimestamp)
    {
        public long Seq { get; } = seq;

        /// <summary>When the write stops waiting (<see cref="TimeProvider.GetTimestamp"/>) and fails with NotEnoughReplicas.</summary>
        public long DeadlineTimestamp { get; } = deadlineTimestamp;

        public TaskCompletionSource<Ring?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: replica on {Silo} is unreachable: {Reason}")]
    private static partial void LogFeedFailed(ILogger logger, int rangeId, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: snapshot of {Keys} keys at write {Seq} sent to the replica on {Silo}")]
    private static partial void LogSnapshotSent(ILogger logger, int rangeId, string silo, int keys, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: the master at epoch {Epoch} was replaced (a replica follows epoch {NewEpoch})")]
    private static partial void LogDeposed(ILogger logger, int rangeId, long epoch, long newEpoch);
}
