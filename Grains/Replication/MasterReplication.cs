using DiMint.Grains.Hosting;
using DiMint.Grains.Ranges;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Replication;

/// <summary>
/// The master side of one range's replication, as one object that owns its state and its lock: the write log and
/// sequence numbers, a feed per replica (and per move target), the writes waiting for their acknowledgements, the commit
/// point, the read lease, and snapshots. Its range grain records writes (<see cref="Store"/>), waits for what the protocol
/// requires (<see cref="AcknowledgeAsync"/>), and stops it when it steps down; everything else (feed loops, the threads
/// that receive acknowledgements, its timer) runs off the grain's scheduler and touches shared state only under
/// <see cref="_lock"/>.
/// </summary>
/// <remarks>
/// The protocol (docs/architecture.md, "Consistency"): a write is acknowledged once a write quorum of the range's copies
/// holds it (<see cref="Quorums"/>); readers see only such committed writes; reads are served while enough replicas'
/// promises hold (the lease), and a replica fenced for a promotion answers only once its promise has run out.
/// </remarks>
internal sealed partial class MasterReplication : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly RangeData _data;
    private readonly RangeStore _store;
    private readonly long _epoch;
    private readonly ReplicationChannel _channel;
    private readonly IGrainFactory _grains;
    private readonly ReplicationOptions _options;
    private readonly RebalanceOptions _rebalance;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<ReplicaAck> _onDeposed;
    private readonly ITimer _timer;

    /// <summary>Guards every field below and every feed's mutable fields.</summary>
    private readonly Lock _lock = new();

    /// <summary>The feeds by silo: the ring's replicas and the learners of operations. Under <see cref="_lock"/>.</summary>
    private readonly Dictionary<SiloAddress, ReplicaFeed> _feeds = [];

    /// <summary>
    /// Writes waiting for their quorum, in the order they were stored (so in sequence order, and in deadline order).
    /// Under <see cref="_lock"/>.
    /// </summary>
    private readonly Queue<AckWaiter> _waiters = new();

    /// <summary>The quorums of the configuration in force. Under <see cref="_lock"/>.</summary>
    private Quorums _quorums;

    /// <summary>Completed (and replaced) when the lease or the commit point moves. Under <see cref="_lock"/>.</summary>
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopped;

    /// <summary>When this master started, and whether it logged how long it took to hold its lease. Under <see cref="_lock"/>.</summary>
    private readonly long _startedAt;
    private bool _leaseLogged;

    public MasterReplication(
        RangeData data,
        RangeStore store,
        long epoch,
        ReplicationChannel channel,
        IGrainFactory grains,
        ReplicationOptions options,
        RebalanceOptions rebalance,
        TimeProvider time,
        ILogger logger,
        Action<ReplicaAck> onDeposed)
    {
        _data = data;
        _store = store;
        _epoch = epoch;
        _channel = channel;
        _grains = grains;
        _options = options;
        _rebalance = rebalance;
        _time = time;
        _logger = logger;
        _onDeposed = onDeposed;
        _quorums = Quorums.Of(data.Range.Replicas.Length, options.WriteAcks);
        _startedAt = time.GetTimestamp();
        var tick = TimeSpan.FromTicks(Math.Min(options.AckTimeout.Ticks, options.LeaseDuration.Ticks) / 4);
        _timer = time.CreateTimer(static state => ((MasterReplication)state!).OnTimer(), this, tick, tick);
    }

    private int RangeId => _data.Range.Id;

    /// <summary>
    /// Adopts <paramref name="range"/>'s replica set: starts feeds for new replicas (a learner the ring now names becomes
    /// one), stops those the ring no longer names, and counts quorums over it from now on.
    /// </summary>
    public void Configure(RangeInfo range)
    {
        var started = new List<ReplicaFeed>();
        List<AckWaiter>? done;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _quorums = Quorums.Of(range.Replicas.Length, _options.WriteAcks);
            foreach (var (silo, feed) in _feeds.ToArray())
            {
                if (range.Replicas.Contains(silo))
                {
                    feed.IsLearner = false;
                }
                else if (!feed.IsLearner)
                {
                    StopFeedLocked(silo, feed);
                }
            }

            foreach (var silo in range.Replicas)
            {
                if (!_feeds.ContainsKey(silo))
                {
                    var feed = NewFeed(silo);
                    _feeds[silo] = feed;
                    started.Add(feed);
                }
            }

            done = AdvanceLocked();
        }

        Complete(done, null);
        foreach (var feed in started)
        {
            _ = Task.Run(() => RunFeedAsync(feed));
        }
    }

    /// <summary>Stops every feed and the timer; waiting writes are left to <see cref="FailWaiters"/>.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            foreach (var (silo, feed) in _feeds.ToArray())
            {
                StopFeedLocked(silo, feed);
            }

            _data.LeaseUntil = 0;
        }

        _timer.Dispose();
    }

    public void Dispose() => Stop();

    /// <summary>
    /// Refuses a write up front, before changing anything, when it cannot be acknowledged: too few replicas are reachable
    /// for a write quorum, or this master's copy has been fenced for a newer epoch.
    /// </summary>
    public void CheckWritable()
    {
        lock (_lock)
        {
            if (WriteRefusalLocked() is { } refusal)
            {
                throw refusal;
            }
        }
    }

    /// <summary>Under <see cref="_lock"/>: why a write would be refused now (see <see cref="CheckWritable"/>), or null.</summary>
    private DiMintException? WriteRefusalLocked()
    {
        if (_stopped || !IsServingLocked())
        {
            return new RangeUnavailableException(RangeId, "its master was fenced for a newer epoch");
        }

        if (_quorums.WriteReplicas == 0)
        {
            return null;
        }

        var reachable = 0;
        foreach (var feed in _feeds.Values)
        {
            if (!feed.IsLearner && !feed.Failed)
            {
                reachable++;
            }
        }

        return reachable < _quorums.WriteReplicas ? new NotEnoughReplicasException(RangeId, _quorums.WriteReplicas, reachable) : null;
    }

    /// <summary>
    /// Whether the one write <paramref name="ids"/> names was applied by this copy already (a retry), at which sequence
    /// number, and with which value when the copy still knows it: the key's pending write, or the write still in the log.
    /// </summary>
    public bool TryGetApplied(string key, WriteIds? ids, out long seq, out byte[]? value)
    {
        value = null;
        seq = 0;
        if (ids is not { Ids: [var id] } || id == 0)
        {
            return false;
        }

        lock (_lock)
        {
            if (!_data.Sessions.TryGetApplied(ids.ClientId, id, out seq))
            {
                return false;
            }

            if (_data.Sessions.TryGetValue(ids.ClientId, id, out var kept))
            {
                value = kept;
            }
            else if (_data.TryGetPending(key, seq, out var pending))
            {
                value = pending;
            }
            else if (_data.Log.Slice(seq, 1) is [var op] && op.Key == key)
            {
                value = op.Value;
            }

            return true;
        }
    }

    /// <summary>
    /// Applies checked writes (a null value deletes), gives each the next sequence number, keeps them in the log for the
    /// replicas and sends them; answers the sequence number to wait for (the last one's), or 0 when nothing changed
    /// (deletes of absent keys). A write whose id (<paramref name="ids"/>) this copy applied already is not applied again:
    /// its answer waits for the first one's commit; nor is one the client had moved past (a late copy).
    /// With <paramref name="keepValues"/>, each write's value is kept with its id on every copy (the answer to a retry of an
    /// increment is the value it stored).
    /// </summary>
    /// <exception cref="RangeUnavailableException">This copy was fenced for a newer master (nothing, or only part of
    /// the batch, was applied; none of it will be acknowledged).</exception>
    public long Store(string[] keys, byte[]?[] values, WriteIds? ids = null, bool keepValues = false)
    {
        long seq;
        List<AckWaiter>? done;
        lock (_lock)
        {
            (seq, done) = StoreLocked(keys, values, ids, keepValues);
        }

        Complete(done, null);
        PumpAll();
        return seq;
    }

    /// <summary>
    /// <see cref="Store"/> of writes worked out from the copy as it is (an update from a key's value, active expiry), with
    /// no other write between reading and storing: <paramref name="decide"/> runs under the writes' lock, which every
    /// store holds, from a turn or from the data port's thread, and answers the writes to store, or null for none. Answers
    /// the sequence number to wait for; when nothing was stored, the copy's last applied one (what was read may be a
    /// write still waiting for its quorum).
    /// </summary>
    public long StoreDecided(Func<(string[] Keys, byte[]?[] Values)?> decide, WriteIds? ids = null, bool keepValues = false)
    {
        long seq;
        List<AckWaiter>? done;
        lock (_lock)
        {
            if (decide() is not { } writes)
            {
                return _data.AppliedSeq;
            }

            (seq, done) = StoreLocked(writes.Keys, writes.Values, ids, keepValues);
        }

        Complete(done, null);
        PumpAll();
        return seq;
    }

    /// <summary>
    /// <see cref="Store"/> for writes arriving off the range grain's scheduler (the data port's receiving thread): stored,
    /// and their sequence number answered, only when at that moment this master holds its lease, can reach a write quorum,
    /// and its copy serves <paramref name="ringVersion"/> and every key (<see cref="RangeData.TryEnterServing"/>), all
    /// checked under the locks the store holds. Otherwise -1 and nothing changed: the grain's turn decides (it answers
    /// Moved, waits out a fence or refuses with the typed error).
    /// </summary>
    public long TryStoreServing(string[] keys, byte[][] values, WriteIds? ids, long ringVersion)
    {
        long seq;
        List<AckWaiter>? done;
        lock (_lock)
        {
            if (!HoldsLease || WriteRefusalLocked() is not null || !_data.TryEnterServing(_epoch, ringVersion, keys))
            {
                return -1;
            }

            try
            {
                (seq, done) = StoreLocked(keys, values, ids, keepValues: false);
            }
            finally
            {
                _data.ExitServing();
            }
        }

        Complete(done, null);
        PumpAll();
        return seq;
    }

    /// <summary>Under <see cref="_lock"/>: <see cref="Store"/>'s work; answers the sequence number and the writes it committed (no replicas).</summary>
    private (long Seq, List<AckWaiter>? Done) StoreLocked(string[] keys, byte[]?[] values, WriteIds? ids, bool keepValues)
    {
        long seq = 0;
        List<AckWaiter>? done = null;
        var now = _time.GetTimestamp();
        for (var i = 0; i < keys.Length; i++)
        {
            var id = ids is not null && i < ids.Ids.Length ? ids.Ids[i] : 0;
            if (id != 0 && _data.Sessions.TryGetApplied(ids!.ClientId, id, out var earlier))
            {
                seq = Math.Max(seq, earlier);
                continue;
            }

            if (id != 0 && _data.Sessions.IsBehind(ids!.ClientId, id))
            {
                // Nobody waits for it: applying it now would write an old value over newer ones (it may even have
                // been applied already, before its id was dropped).
                continue;
            }

            var next = _data.AppliedSeq + 1;
            var outcome = _stopped ? StoreOutcome.Refused : _data.TryStore(keys[i], values[i], next, _epoch);
            if (outcome == StoreOutcome.Refused)
            {
                throw new RangeUnavailableException(RangeId, "its master was fenced for a newer epoch");
            }

            if (outcome == StoreOutcome.Absent)
            {
                continue;
            }

            seq = next;
            if (id != 0)
            {
                _data.Sessions.Record(ids!.ClientId, ids.Oldest, id, next, now, _time.TimestampFrequency, keepValues ? values[i] : null);
            }

            if (_feeds.Count > 0)
            {
                _data.Log.Append(next, new ReplicationOp { Key = keys[i], Value = values[i], ClientId = id == 0 ? 0 : ids!.ClientId, WriteId = id, Oldest = ids?.Oldest ?? 0, KeepsValue = keepValues && id != 0 });
            }
        }

        if (_quorums.WriteReplicas == 0)
        {
            done = AdvanceLocked();
        }

        return (seq, done);
    }

    /// <summary>
    /// Answers Ok once write <paramref name="seq"/> is committed (Moved with the new ring if this master was replaced
    /// meanwhile), completing where the acknowledgement that did it arrived: a caller off the grain's scheduler (a write
    /// from the data port) answers from there.
    /// </summary>
    public Task<WriteResult> AcknowledgeAsync(long seq)
    {
        AckWaiter waiter;
        lock (_lock)
        {
            if (seq <= _data.CommittedSeq)
            {
                return Task.FromResult(WriteResult.Ok);
            }

            waiter = new AckWaiter(seq, _time.GetTimestamp() + (long)(_options.AckTimeout.TotalSeconds * _time.TimestampFrequency));
            _waiters.Enqueue(waiter);
        }

        return AnswerWhenCommittedAsync(waiter.Completion.Task);
    }

    /// <summary>Answers every waiting write Moved with <paramref name="ring"/> (this master stepped down).</summary>
    public void FailWaiters(Ring ring)
    {
        List<AckWaiter> all;
        lock (_lock)
        {
            all = [.. _waiters];
            _waiters.Clear();
        }

        Complete(all, ring);
    }

    /// <summary>Whether reads may be served now (the lease holds).</summary>
    public bool HoldsLease => _data.LeaseUntil > _time.GetTimestamp();

    /// <summary>
    /// Waits until this master holds its lease again (a heartbeat goes to every replica now), or
    /// <paramref name="timeout"/>; false when it could not renew it (too few replicas answer, or they follow a newer master).
    /// </summary>
    public async Task<bool> RenewLeaseAsync(TimeSpan timeout)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                if (_stopped || !IsServingLocked())
                {
                    return false;
                }

                progress = _progress.Task;
            }

            if (HoldsLease)
            {
                return true;
            }

            PumpAll(HeartbeatMode.Now);
            var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return HoldsLease;
            }

#pragma warning disable ORLEANS0014 // Off the grain's scheduler on purpose: progress completes on replication threads.
            await Task.WhenAny(progress, Task.Delay(left < MaxBackoff ? left : MaxBackoff, _time)).ConfigureAwait(false);
#pragma warning restore ORLEANS0014
        }
    }

    /// <summary>The largest number of writes a replica (not a move's target) is behind.</summary>
    public long ReplicaLag()
    {
        lock (_lock)
        {
            return ReplicaLagLocked();
        }
    }

    /// <summary>
    /// Publishes the lag and the replicas in sync for status reports; under <see cref="_lock"/>. Only while this is the
    /// range's master here: the report is the silo's for the range, and a superseded master (its copy promoted again, or
    /// left by a runtime that stopped) must not overwrite the current one's.
    /// </summary>
    private void ReportLocked()
    {
        if (IsServingLocked())
        {
            _store.ReportReplication(RangeId, ReplicaLagLocked(), InSyncLocked());
        }
    }

    /// <summary>Replicas (not a move's targets) in sync whose feed is not failing; under <see cref="_lock"/>.</summary>
    private int InSyncLocked()
    {
        // A loop, not LINQ: it runs with each acknowledgement's status report.
        var count = 0;
        foreach (var feed in _feeds.Values)
        {
            if (!feed.IsLearner && feed.InSync && !feed.Failed)
            {
                count++;
            }
        }

        return count;
    }

    private long ReplicaLagLocked()
    {
        long lag = 0;
        foreach (var feed in _feeds.Values)
        {
            if (!feed.IsLearner)
            {
                lag = Math.Max(lag, feed.AckedSeq < 0 ? _data.AppliedSeq : _data.AppliedSeq - feed.AckedSeq);
            }
        }

        return lag;
    }

    /// <summary>Replicas (not a move's target) that hold a complete copy following this master.</summary>
    public int ReplicasInSync()
    {
        lock (_lock)
        {
            return InSyncLocked();
        }
    }

    /// <summary>Whether the copy is still this epoch's master, unfenced: only then may this object move its commit point or lease.</summary>
    private bool IsServing()
    {
        lock (_lock)
        {
            return IsServingLocked();
        }
    }

    private bool IsServingLocked() => _data.IsUnfencedMasterOf(_epoch);

    private ReplicaFeed NewFeed(SiloAddress silo) =>
        new(silo, _grains.GetGrain<IRangeReplicaGrain>(ReplicaKey(RangeId, silo)), _channel.LaneTo(silo));

    /// <summary>The key of the replica grain of range <paramref name="rangeId"/> on <paramref name="silo"/>.</summary>
    public static string ReplicaKey(int rangeId, SiloAddress silo) => $"{rangeId}/{silo.ToParsableString()}";

    /// <summary>Stops a feed's loop and its steady state, and forgets it; under <see cref="_lock"/>.</summary>
    private void StopFeedLocked(SiloAddress silo, ReplicaFeed feed)
    {
        feed.Stopped = true;
        feed.Pumping = false;
        _feeds.Remove(silo);
        feed.PumpExit.TrySetResult(default);
    }

    /// <summary>
    /// After anything that may move them, under <see cref="_lock"/>: the commit point (the newest write a write quorum
    /// holds), the lease, the log (what every feed has is forgotten), the status report; returns the writes now committed,
    /// for the caller to complete once it let go of the lock.
    /// </summary>
    private List<AckWaiter>? AdvanceLocked()
    {
        if (!IsServingLocked())
        {
            // The copy belongs to a newer master now (or was fenced for one): nothing here moves it any more.
            _data.LeaseUntil = 0;
            return null;
        }

        var committed = _quorums.WriteReplicas == 0 ? _data.AppliedSeq : NthHighest(_quorums.WriteReplicas, static f => f.AckedSeq);
        if (committed > _data.CommittedSeq)
        {
            _data.Commit(Math.Min(committed, _data.AppliedSeq));
        }

        var promise = _quorums.LeaseReplicas == 0 ? long.MaxValue : NthHighest(_quorums.LeaseReplicas, static f => f.PromiseFrom);
        _data.LeaseUntil = promise == long.MaxValue ? long.MaxValue
            : promise <= 0 ? 0
            : promise + (long)(_options.LeaseDuration.TotalSeconds * 0.9 * _time.TimestampFrequency);
        if (!_leaseLogged && _data.LeaseUntil > _time.GetTimestamp())
        {
            // How long a new master (a promotion's, say) took to serve: its replicas resumed or snapshotted and promised.
            _leaseLogged = true;
            LogLeaseHeld(_logger, RangeId, _epoch, _time.GetElapsedTime(_startedAt).TotalMilliseconds);
        }

        var min = long.MaxValue;
        foreach (var feed in _feeds.Values)
        {
            min = Math.Min(min, feed.AckedSeq < 0 ? _data.Log.FirstSeq - 1 : feed.AckedSeq);
        }

        if (min != long.MaxValue)
        {
            _data.Log.TruncateThrough(min);
        }

        _progress.TrySetResult();
        _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ReportLocked();

        // Waiters are in write order: the committed ones lead.
        List<AckWaiter>? done = null;
        var point = _data.CommittedSeq;
        while (_waiters.TryPeek(out var first) && first.Seq <= point)
        {
            (done ??= []).Add(_waiters.Dequeue());
        }

        return done;
    }

    /// <summary>The <paramref name="n"/>-th highest value over the replicas in sync (not learners); 0 when there are fewer.</summary>
    private long NthHighest(int n, Func<ReplicaFeed, long> value)
    {
        Span<long> top = stackalloc long[n];
        top.Fill(long.MinValue);
        foreach (var feed in _feeds.Values)
        {
            if (feed.IsLearner || !feed.InSync)
            {
                continue;
            }

            var v = value(feed);
            for (var i = 0; i < n; i++)
            {
                if (v > top[i])
                {
                    (top[i], v) = (v, top[i]);
                }
            }
        }

        return top[n - 1] == long.MinValue ? 0 : top[n - 1];
    }

    /// <summary>Runs off the grain: fails writes that waited too long, sends heartbeats, drops abandoned copies.</summary>
    private void OnTimer()
    {
        List<(AckWaiter Waiter, long Committed)>? expired = null;
        int required;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            var now = _time.GetTimestamp();
            required = _quorums.WriteReplicas;
            while (_waiters.TryPeek(out var first) && first.DeadlineTimestamp <= now)
            {
                (expired ??= []).Add((_waiters.Dequeue(), _data.CommittedSeq));
            }
        }

        foreach (var (waiter, _) in expired ?? [])
        {
            waiter.Completion.TrySetException(new NotEnoughReplicasException(RangeId, required, CountHolding(waiter.Seq)));
        }

        PumpAll(HeartbeatMode.Due);
        DropAbandonedCopies();
    }

    /// <summary>Replicas (not learners) that hold write <paramref name="seq"/>.</summary>
    private int CountHolding(long seq)
    {
        lock (_lock)
        {
            return _feeds.Values.Count(f => !f.IsLearner && f.InSync && f.AckedSeq >= seq);
        }
    }

    private static async Task<WriteResult> AnswerWhenCommittedAsync(Task<Ring?> committed)
    {
#pragma warning disable ORLEANS0014 // Off the grain's scheduler on purpose: the answer goes out where the acknowledgement arrived.
        var moved = await committed.ConfigureAwait(false);
#pragma warning restore ORLEANS0014
        return moved is null ? WriteResult.Ok : new WriteResult { Status = RangeStatus.Moved, Ring = RingUpdate.Of(moved) };
    }

    /// <summary>Completes <paramref name="waiters"/> (holding no lock: their callers' continuations may run here).</summary>
    private static void Complete(List<AckWaiter>? waiters, Ring? moved)
    {
        foreach (var waiter in waiters ?? [])
        {
            waiter.Completion.TrySetResult(moved);
        }
    }

    /// <summary>A write waiting for its quorum; completes with null when committed, or with the ring that replaced this master.</summary>
    private sealed class AckWaiter(long seq, long deadlineTimestamp)
    {
        public long Seq { get; } = seq;

        /// <summary>When the write stops waiting (<see cref="TimeProvider.GetTimestamp"/>) and fails with NotEnoughReplicas.</summary>
        public long DeadlineTimestamp { get; } = deadlineTimestamp;

        /// <summary>Completed holding no lock; a caller awaiting it off the grain's scheduler continues on the completing thread.</summary>
        public TaskCompletionSource<Ring?> Completion { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: replica on {Silo} is unreachable: {Reason}")]
    private static partial void LogFeedFailed(ILogger logger, int rangeId, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: the master of epoch {Epoch} holds its lease {Milliseconds:0} ms after it started")]
    private static partial void LogLeaseHeld(ILogger logger, int rangeId, long epoch, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: the replica on {Silo} at write {Seq} of epoch {SourceEpoch} follows this master from its log, without a snapshot")]
    private static partial void LogResumedInherited(ILogger logger, int rangeId, string silo, long seq, long sourceEpoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: snapshot of {Keys} keys at write {Seq} sent to the replica on {Silo}")]
    private static partial void LogSnapshotSent(ILogger logger, int rangeId, string silo, int keys, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: the master at epoch {Epoch} was replaced (a replica follows epoch {NewEpoch})")]
    private static partial void LogDeposed(ILogger logger, int rangeId, long epoch, long newEpoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: copying {Bytes} bytes to {Silo} for operation {OperationId}")]
    private static partial void LogCopyStarted(ILogger logger, int rangeId, string silo, long bytes, long operationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId}: copy on {Silo} for operation {OperationId} dropped")]
    private static partial void LogCopyDropped(ILogger logger, int rangeId, string silo, long operationId);
}
