using System.Runtime.ExceptionServices;
using DiMint.Grains.Ranges;

namespace DiMint.Grains.Replication;

/// <summary>
/// The feeds: each brings one replica up to date (a resume, or a snapshot) in a loop on the thread pool, then hands it to
/// the steady state, where the thread that records writes sends them and the thread that receives an acknowledgement
/// handles it, under the lock, with one batch in flight per replica.
/// </summary>
internal sealed partial class MasterReplication
{
    /// <summary>One replica's loop: resume or snapshot, then the steady state until something needs the loop again.</summary>
    private async Task RunFeedAsync(ReplicaFeed feed)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!feed.Stopped && IsServing())
        {
            try
            {
                bool resume, snapshot;
                lock (_lock)
                {
                    resume = feed.AckedSeq < 0;
                    snapshot = !resume && (!feed.InSync || !_data.Log.Covers(feed.AckedSeq, _data.AppliedSeq));
                }

                if (resume)
                {
                    await ResumeOrSnapshotAsync(feed);
                }
                else if (snapshot)
                {
                    await SendSnapshotAsync(feed);
                }
                else
                {
                    // The steady state: writes leave and acknowledgements are handled without this loop, until something
                    // needs it (an error, another answer than Ok, a replica too far behind).
                    var (ack, error) = await PumpAsync(feed);
                    if (error is not null)
                    {
                        ExceptionDispatchInfo.Throw(error);
                    }

                    if (ack is not null)
                    {
                        await OnAckAsync(feed, ack);
                    }
                }

                lock (_lock)
                {
                    feed.Failed = false;
                    feed.FailingSinceTimestamp = 0;
                    feed.FencedPastEpoch = 0;
                }

                backoff = TimeSpan.FromMilliseconds(50);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                bool first;
                lock (_lock)
                {
                    feed.RangeSent = null;
                    first = !feed.Failed;
                    feed.Failed = true;
                    ReportLocked();
                    if (feed.FailingSinceTimestamp == 0)
                    {
                        feed.FailingSinceTimestamp = _time.GetTimestamp();
                    }
                }

                if (first && ex is not FencedPastException)
                {
                    LogFeedFailed(_logger, RangeId, feed.Silo.ToString(), ex.Message);
                }

                // A replica of a newer epoch is asked again once a second: its answer only changes when the epoch is settled.
                await Task.Delay(ex is FencedPastException ? MaxBackoff : backoff, _time);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Learns where a replica stands: it resumes from there if it follows this master, or holds a prefix of the history
    /// this master took over (a replica of the previous master no further than the hand-over write, which this master's
    /// log, kept while it was a replica, still covers); else it gets a snapshot.
    /// </summary>
    private async Task ResumeOrSnapshotAsync(ReplicaFeed feed)
    {
        // Through the replica's silo (its service, and the lane its batches take) rather than its grain: the first call a
        // silo made to a replica grain cost 250-300 ms on a silo that had never mastered a range, in the middle of a failover.
        var state = await feed.Lane.Service.GetStateAsync(RangeId, includeMaster: false).WaitAsync(_options.AckTimeout, _time);
        bool follows, inherited;
        lock (_lock)
        {
            var covered = _data.Log.Covers(state.AppliedSeq, _data.AppliedSeq);
            follows = state.Complete && covered && state.Epoch == _epoch && state.AppliedSeq <= _data.AppliedSeq;
            inherited = state.Complete && covered && state.Epoch == _data.SourceEpoch && state.Epoch != _epoch && state.AppliedSeq <= _data.LineageSeq;
        }

        if (!follows && !inherited)
        {
            await SendSnapshotAsync(feed);
            return;
        }

        if (inherited)
        {
            // An empty batch makes the replica follow this master's epoch from now on.
            var ack = await feed.Lane.Send(new ReplicationBatch
            {
                Range = _data.Range,
                Kind = ReplicationBatchKind.Ops,
                FirstSeq = state.AppliedSeq + 1,
                LineageEpoch = _data.SourceEpoch,
            });
            if (ack.Status != ReplicaAckStatus.Ok)
            {
                await OnAckAsync(feed, ack);
                return;
            }

            LogResumedInherited(_logger, RangeId, feed.Silo.ToString(), state.AppliedSeq, state.Epoch);
        }

        List<AckWaiter>? done;
        lock (_lock)
        {
            feed.AckedSeq = state.AppliedSeq;
            feed.InSync = true;
            done = AdvanceLocked();
        }

        Complete(done, null);
    }

    /// <summary>
    /// Copies the range to a replica in chunks while writes go on: the writes after the snapshot's sequence number
    /// follow from the log, so the replica ends with the master's state.
    /// </summary>
    private async Task SendSnapshotAsync(ReplicaFeed feed)
    {
        long seq;
        RangeInfo range;
        string[] keys;
        ClientSession[] sessions;
        lock (_lock)
        {
            seq = _data.AppliedSeq;
            range = _data.Range;
            feed.InSync = false;
            feed.AckedSeq = seq;
            feed.SnapshotBytesTotal = _data.Bytes;
            feed.SnapshotBytesSent = 0;
            feed.SnapshotKeysSent = 0;

            // Under the lock, so no write slips between the key list and the sequence number it stands for.
            keys = _data.SnapshotKeys();
            sessions = _data.Sessions.Snapshot(seq);
        }

        if (!await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotStart, FirstSeq = seq }))
        {
            return;
        }

        var chunk = new List<ReplicationOp>();
        long bytes = 0;
        var started = _time.GetTimestamp();
        foreach (var key in keys)
        {
            if (feed.Stopped || _data.RetiredBy is not null)
            {
                return;
            }

            if (!_data.TryGetApplied(key, out var value))
            {
                continue;
            }

            chunk.Add(new ReplicationOp { Key = key, Value = value });
            bytes += RangeData.SizeOf(key, value.Length);
            if (bytes >= _options.SnapshotChunkBytes)
            {
                if (!await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotChunk, FirstSeq = seq, Ops = [.. chunk] }))
                {
                    return;
                }

                lock (_lock)
                {
                    feed.SnapshotBytesSent += bytes;
                    feed.SnapshotKeysSent += chunk.Count;
                }

                chunk.Clear();
                bytes = 0;
                await ThrottleAsync(feed.SnapshotBytesSent, started);
            }
        }

        if (chunk.Count > 0 && !await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotChunk, FirstSeq = seq, Ops = [.. chunk] }))
        {
            return;
        }

        if (await SendAsync(feed, new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotEnd, FirstSeq = seq, Sessions = sessions }))
        {
            List<AckWaiter>? done;
            lock (_lock)
            {
                feed.SnapshotBytesSent += bytes;
                feed.SnapshotKeysSent += chunk.Count;
                feed.InSync = true;
                feed.AckedSeq = seq;
                done = AdvanceLocked();
            }

            Complete(done, null);
            LogSnapshotSent(_logger, range.Id, feed.Silo.ToString(), keys.Length, seq);
        }
    }

    /// <summary>Holds a snapshot back to <see cref="RebalanceOptions.TransferBytesPerSecond"/>, so foreground requests keep their latency.</summary>
    private async Task ThrottleAsync(long sent, long startedTimestamp)
    {
        var due = TransferThrottle.Delay(sent, _rebalance.TransferBytesPerSecond, _time.GetElapsedTime(startedTimestamp));
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due, _time);
        }
    }

    /// <summary>Sends one snapshot batch; false when the snapshot must stop (the replica wants another, or this master is deposed).</summary>
    private async Task<bool> SendAsync(ReplicaFeed feed, ReplicationBatch batch)
    {
        var ack = await feed.Replica.ApplyAsync(batch).WaitAsync(_options.AckTimeout, _time);
        if (ack.Status == ReplicaAckStatus.Ok)
        {
            return true;
        }

        await OnAckAsync(feed, ack);
        return false;
    }

    /// <summary>Handles an acknowledgement the steady state did not: a position to take, a snapshot to send, or a newer master.</summary>
    private async Task OnAckAsync(ReplicaFeed feed, ReplicaAck ack)
    {
        switch (ack.Status)
        {
            case ReplicaAckStatus.Ok:
                List<AckWaiter>? done;
                lock (_lock)
                {
                    feed.AckedSeq = ack.AppliedSeq;
                    done = AdvanceLocked();
                }

                Complete(done, null);
                break;
            case ReplicaAckStatus.NeedSnapshot:
                lock (_lock)
                {
                    feed.RangeSent = null;
                    feed.InSync = false;
                    feed.AckedSeq = -1;
                    ReportLocked();
                }

                break;
            case ReplicaAckStatus.StaleEpoch:
                // A replica follows a newer master, or was fenced for one: this master may have been replaced. Its owner
                // learns the ring and steps down, or asks for the stuck epoch to be settled; the feed waits meanwhile.
                LogDeposed(_logger, RangeId, _epoch, ack.Epoch);
                lock (_lock)
                {
                    feed.InSync = false;
                    feed.AckedSeq = -1;
                    feed.FencedPastEpoch = ack.Epoch;
                }

                _onDeposed(ack);

                // A failure of the feed's loop, so the feed stays failed (and a copy to it fails) until the epoch is settled.
                throw new FencedPastException(ack.Epoch);
        }
    }

    /// <summary>
    /// Puts <paramref name="feed"/> in its steady state and waits until it ends: answers the acknowledgement or error that
    /// ended it, or neither when the feed stopped or must catch up another way.
    /// </summary>
    private Task<(ReplicaAck? Ack, Exception? Error)> PumpAsync(ReplicaFeed feed)
    {
        Task<(ReplicaAck? Ack, Exception? Error)> exit;
        lock (_lock)
        {
            if (feed.Stopped)
            {
                return Task.FromResult<(ReplicaAck?, Exception?)>(default);
            }

            feed.PumpExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
            feed.Pumping = true;
            exit = feed.PumpExit.Task;
        }

        Pump(feed, heartbeat: HeartbeatMode.Now);
        return exit;
    }

    /// <summary>Ends a feed's steady state; under <see cref="_lock"/> (the loop resumes on its own).</summary>
    private static void EndPump(ReplicaFeed feed, ReplicaAck? ack, Exception? error)
    {
        feed.Pumping = false;
        feed.PumpExit.TrySetResult((ack, error));
    }

    /// <summary>Sends what every feed in its steady state has not sent (and, when due, a heartbeat).</summary>
    private void PumpAll(HeartbeatMode heartbeat = HeartbeatMode.None)
    {
        ReplicaFeed[] feeds;
        lock (_lock)
        {
            if (_feeds.Count == 0)
            {
                return;
            }

            feeds = [.. _feeds.Values];
        }

        foreach (var feed in feeds)
        {
            Pump(feed, heartbeat);
        }
    }

    /// <summary>
    /// Sends the writes a feed in its steady state has not sent, unless a batch is on its way: from any thread (the
    /// one that recorded them, the one that received the last acknowledgement, the timer). With nothing to send, a
    /// heartbeat (an empty batch) renews the replica's promise when <paramref name="heartbeat"/> says so.
    /// </summary>
    private void Pump(ReplicaFeed feed, HeartbeatMode heartbeat = HeartbeatMode.None)
    {
        ReplicationBatch batch;
        RangeInfo range;
        bool withRange;
        long sentAt;
        lock (_lock)
        {
            if (!feed.Pumping || feed.InFlight)
            {
                return;
            }

            if (feed.Stopped || _data.RetiredBy is not null || !_data.Log.Covers(feed.AckedSeq, _data.AppliedSeq))
            {
                EndPump(feed, null, null);
                return;
            }

            sentAt = _time.GetTimestamp();
            if (feed.AckedSeq >= _data.AppliedSeq
                && (heartbeat == HeartbeatMode.None
                    || (heartbeat == HeartbeatMode.Due && _time.GetElapsedTime(feed.LastSentTimestamp, sentAt) < _options.LeaseDuration / 4)))
            {
                return;
            }

            var from = feed.AckedSeq + 1;
            range = _data.Range;
            withRange = !ReferenceEquals(feed.RangeSent, range);
            batch = new ReplicationBatch
            {
                RangeId = range.Id,
                Epoch = _epoch,
                Range = withRange ? range : null,
                Kind = ReplicationBatchKind.Ops,
                FirstSeq = from,
                Ops = _data.Log.Slice(from, _options.MaxBatchOps),
                LineageEpoch = _data.SourceEpoch,
                KeptFrom = _data.Log.FirstSeq,
            };
            feed.InFlight = true;
            feed.LastSentTimestamp = sentAt;
        }

        _ = SendPumpedAsync(feed, batch, range, withRange, sentAt);
    }

    /// <summary>Sends one batch of the steady state; its acknowledgement is handled where it arrives.</summary>
    private async Task SendPumpedAsync(ReplicaFeed feed, ReplicationBatch batch, RangeInfo range, bool withRange, long sentAt)
    {
        ReplicaAck? ack = null;
        Exception? error = null;
        try
        {
#pragma warning disable ORLEANS0014 // Off the grain's scheduler on purpose: what follows runs where the acknowledgement arrives, under _lock.
            ack = await feed.Lane.Send(batch).ConfigureAwait(false);
#pragma warning restore ORLEANS0014
        }
        catch (Exception ex)
        {
            error = ex;
        }

        List<AckWaiter>? done;
        lock (_lock)
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
            feed.PromiseFrom = Math.Max(feed.PromiseFrom, sentAt);
            feed.Failed = false;
            feed.FailingSinceTimestamp = 0;
            done = AdvanceLocked();
        }

        Complete(done, null);
        Pump(feed);
    }

    /// <summary>Whether a feed with nothing to send sends an empty batch, renewing the replica's promise.</summary>
    private enum HeartbeatMode
    {
        /// <summary>Only writes leave.</summary>
        None,

        /// <summary>A heartbeat when a quarter of the lease passed since the last send.</summary>
        Due,

        /// <summary>A heartbeat now (a read waits for the lease).</summary>
        Now,
    }

    /// <summary>A replica answered that it follows (or was fenced for) a newer epoch than this master's.</summary>
    private sealed class FencedPastException(long epoch) : Exception($"the replica follows epoch {epoch}");
}
