using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using DiMint.Grains.Ranges;
using Microsoft.Extensions.Options;
using Orleans.GrainDirectory;

namespace DiMint.Grains.Replication;

/// <summary>
/// A replica of one range on the silo its key names (<c>rangeId/silo</c>). It applies the master's batches in order,
/// idempotently, into the silo's <see cref="RangeStore"/>, and refuses masters older than the newest epoch it knows.
/// Each batch it acknowledges renews its promise to the master (<see cref="ReplicationOptions.LeaseDuration"/>): a fence
/// for a newer epoch takes effect at once but is answered only once the promise has run out, so the old master has
/// stopped serving reads before anyone can promote a successor.
/// </summary>
[KeepAlive]
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
internal sealed class RangeReplicaGrain(
    RangeStore store,
    RingCache ringCache,
    LocalGrains<RangeReplicaGrain> localReplicas,
    IGrainFactory grains,
    IOptions<ReplicationOptions> options,
    TimeProvider time)
    : Grain, IRangeReplicaGrain
{
    private readonly long _promise = (long)(options.Value.LeaseDuration.TotalSeconds * time.TimestampFrequency);

    /// <summary>
    /// A snapshot being received. The complete copy it will replace stays in the store (and promotable) until the
    /// snapshot ends, so a replica holding acknowledged writes never drops them to take a snapshot.
    /// </summary>
    private RangeData? _staging;

    /// <summary>
    /// Held by every method while it reads or changes the copy or <see cref="_staging"/>: batches from the data port are
    /// applied on the receiving thread, beside the grain's own turns.
    /// </summary>
    private readonly Lock _sync = new();
    private bool _deactivated;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        localReplicas.Add(this.GetPrimaryKeyString(), this);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            _deactivated = true;
        }

        localReplicas.Remove(this.GetPrimaryKeyString(), this);
        return Task.CompletedTask;
    }

    /// <summary>Whether the activation is going away: its callers on the receiving thread then go through Orleans.</summary>
    internal bool IsDeactivated
    {
        get
        {
            lock (_sync)
            {
                return _deactivated;
            }
        }
    }

    /// <summary>
    /// <see cref="ApplyAsync"/> for the silo's replication receiver, on the thread that received the batch: no message and
    /// no turn, only the grain's lock, which its turns hold too. An activation that is going away hands the batch to
    /// Orleans, which routes it to the grain's current activation.
    /// </summary>
    internal Task<ReplicaAck> ApplyFromSiloAsync(ReplicationBatch batch)
    {
        lock (_sync)
        {
            if (!_deactivated)
            {
                return Task.FromResult(Apply(batch));
            }
        }

        return ApplyThroughOrleansAsync(batch);
    }

    /// <summary>
    /// The batch as a grain call, from the receiving thread (no grain context) with the silo's grain factory: this
    /// activation may be invalid already, and its own factory with it.
    /// </summary>
    private Task<ReplicaAck> ApplyThroughOrleansAsync(ReplicationBatch batch) =>
        grains.GetGrain<IRangeReplicaGrain>(this.GetPrimaryKeyString()).ApplyAsync(batch);

    public Task<ReplicaAck> ApplyAsync(ReplicationBatch batch)
    {
        lock (_sync)
        {
            return Task.FromResult(Apply(batch));
        }
    }

    private ReplicaAck Apply(ReplicationBatch batch)
    {
        while (true)
        {
            RangeData data;
            if (batch.Range is { } sent)
            {
                data = store.GetOrAdd(sent.Id, () => new RangeData(sent, 0, isMaster: false) { SourceEpoch = 0 });
            }
            else if (batch.Kind != ReplicationBatchKind.Ops || !store.TryGet(batch.RangeId, out data))
            {
                // Only writes to a copy this silo holds may leave the range out (here the master thought it held one, or the
                // batch is malformed): nothing changes, and the range comes with the snapshot.
                return new ReplicaAck { Status = ReplicaAckStatus.NeedSnapshot, AppliedSeq = 0, Epoch = batch.Epoch };
            }

            // The copy's lock keeps the silo's sweep of left-over copies (RangeStore.DropStale) from dropping it while the
            // batch goes in; a copy it dropped just before is not the store's any more, and the batch goes to the one that is.
            lock (data.Sync)
            {
                if (store.Holds(data))
                {
                    return Apply(batch, data);
                }
            }
        }
    }

    private ReplicaAck Apply(ReplicationBatch batch, RangeData data)
    {
        var epoch = batch.Epoch;
        var range = batch.Range ?? data.Range;
        if (epoch < data.FencedEpoch || (data.IsMaster && epoch <= data.Epoch))
        {
            // Fenced for a newer master, or this silo holds the master now (promoted): an older master's writes are refused.
            return Ack(ReplicaAckStatus.StaleEpoch, data);
        }

        if (data.IsMaster)
        {
            // The copy of an earlier master on this silo (its runtime restarted, or it was replaced while cut off): it
            // follows the newer master like any replica, from the history it holds.
            data.SourceEpoch = data.Epoch;
        }

        data.RaiseFence(epoch);
        data.ChangeHeader(h => h with { Range = range, Epoch = epoch, IsMaster = false });
        var ack = ApplyKind(batch, data, range, epoch);
        if (ack.Status == ReplicaAckStatus.Ok)
        {
            data.PromisedUntil = time.GetTimestamp() + _promise;
            data.PromisedEpoch = epoch;

            // A master feeds it through this runtime: it is no left-over of an earlier one.
            data.PlacedBy = store.Incarnation;
        }

        return ack;
    }

    private ReplicaAck ApplyKind(ReplicationBatch batch, RangeData data, RangeInfo range, long epoch)
    {
        switch (batch.Kind)
        {
            case ReplicationBatchKind.SnapshotStart:
                _staging = new RangeData(range, data.RingVersion, isMaster: false) { SourceEpoch = epoch, AppliedSeq = batch.FirstSeq };
                return Ack(ReplicaAckStatus.Ok, _staging);

            case ReplicationBatchKind.SnapshotChunk:
                if (_staging is null || _staging.SourceEpoch != epoch || _staging.AppliedSeq != batch.FirstSeq)
                {
                    return Ack(ReplicaAckStatus.NeedSnapshot, data);
                }

                foreach (var op in batch.Ops)
                {
                    _staging.Apply(op);
                }

                return Ack(ReplicaAckStatus.Ok, _staging);

            case ReplicationBatchKind.SnapshotEnd:
                if (_staging is null || _staging.SourceEpoch != epoch || _staging.AppliedSeq != batch.FirstSeq)
                {
                    return Ack(ReplicaAckStatus.NeedSnapshot, data);
                }

                // Fenced meanwhile? The store's copy says so; keep the higher fence, and the promise.
                _staging.RaiseFence(data.FencedEpoch);
                _staging.PromisedUntil = data.PromisedUntil;
                _staging.PromisedEpoch = data.PromisedEpoch;
                _staging.Complete = true;
                _staging.Sessions.Restore(batch.Sessions, time.GetTimestamp());
                store.Put(_staging);
                var done = _staging;
                _staging = null;
                return Ack(ReplicaAckStatus.Ok, done);

            default:
                // A replica of the previous master follows a master that continues its history (promoted or moved):
                // the master checked that it holds a prefix of the writes it took over, which the master's log covers.
                if (!data.Complete || (data.SourceEpoch != epoch && data.SourceEpoch != batch.LineageEpoch))
                {
                    return Ack(ReplicaAckStatus.NeedSnapshot, data);
                }

                data.SourceEpoch = epoch;

                // Writes already applied are skipped; a gap is reported by answering the last applied sequence number.
                if (batch.FirstSeq <= data.AppliedSeq + 1)
                {
                    var now = time.GetTimestamp();
                    for (var i = (int)(data.AppliedSeq + 1 - batch.FirstSeq); i < batch.Ops.Length; i++)
                    {
                        var op = batch.Ops[i];
                        data.Apply(op);
                        data.AppliedSeq = batch.FirstSeq + i;
                        data.Sessions.Record(op.ClientId, op.Oldest, op.WriteId, data.AppliedSeq, now, time.TimestampFrequency, op.KeepsValue ? op.Value : null);
                        data.Log.Append(data.AppliedSeq, op);
                    }
                }

                // The same window of writes as the master keeps: promoted, this copy resumes the other replicas from it.
                data.Log.TruncateThrough(batch.KeptFrom - 1);

                return Ack(ReplicaAckStatus.Ok, data);
        }
    }

    public async Task<ReplicaState> FenceAsync(int rangeId, long epoch, SiloAddress? oldMaster = null, long oldEpoch = 0)
    {
        long until = 0;
        var promisedToOld = false;
        lock (_sync)
        {
            // Any copy here, a master's too: a master whose copy is fenced past its epoch stops acknowledging and serving.
            if (store.TryGet(rangeId, out var data))
            {
                data.RaiseFence(epoch);
                if (data.PromisedEpoch < epoch)
                {
                    until = data.PromisedUntil;
                    promisedToOld = oldMaster is not null && data.PromisedEpoch == oldEpoch;
                }
            }

            _staging?.RaiseFence(epoch);
        }

        // Answer once the promise to the old master has run out: by then it has stopped serving reads. A master whose
        // silo port refuses connections has no runtime left to serve them (a runtime that stops freezes its masters
        // first), so its promise is void: seen from here, not only from the overlord.
        var gone = Until(until) is var left && left > TimeSpan.Zero && promisedToOld
            && await SiloPortCheck.RefusesAsync(oldMaster!.Endpoint, left, CancellationToken.None);
        if (!gone && Until(until) is var rest && rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, time);
        }

        lock (_sync)
        {
            return State(rangeId, includeMaster: true);
        }
    }

    private TimeSpan Until(long timestamp) => TimeSpan.FromSeconds((double)(timestamp - time.GetTimestamp()) / time.TimestampFrequency);

    public Task<ReplicaState> GetStateAsync(int rangeId, bool includeMaster = false)
    {
        lock (_sync)
        {
            return Task.FromResult(State(rangeId, includeMaster));
        }
    }

    /// <summary>
    /// What this silo holds of the range: a replica's copy (the epoch whose writes it holds), or with
    /// <paramref name="includeMaster"/> (a fence, which stopped it) a master's (its own epoch), which a promotion may take
    /// too. A master's copy is never offered to a feed as a replica to resume: it may hold writes no other copy has.
    /// </summary>
    private ReplicaState State(int rangeId, bool includeMaster) =>
        store.TryGet(rangeId, out var data) && data.RetiredBy is null && (includeMaster || !data.IsMaster)
            ? new ReplicaState { RangeId = rangeId, Complete = data.Complete, AppliedSeq = data.AppliedSeq, Epoch = data.IsMaster ? data.Epoch : data.SourceEpoch, FencedEpoch = data.FencedEpoch }
            : new ReplicaState { RangeId = rangeId, Complete = false, AppliedSeq = 0, Epoch = 0 };

    public Task DropAsync(int rangeId)
    {
        lock (_sync)
        {
            if (store.TryGet(rangeId, out var data) && !data.IsMaster)
            {
                store.Remove(rangeId);
            }

            _staging = null;
        }

        return Task.CompletedTask;
    }

    public Task<bool> SplitAsync(int rangeId, long sourceEpoch, long seq, RangeInfo lower, RangeInfo upper)
    {
        lock (_sync)
        {
            if (!Holds(rangeId, sourceEpoch, seq, out var data))
            {
                return Task.FromResult(false);
            }

            var low = NewCopy(lower);
            var high = NewCopy(upper);
            data.SplitInto(low, high);

            var sessions = data.Sessions.Snapshot(long.MaxValue);
            low.Sessions.AddCommitted(sessions, time.GetTimestamp());
            high.Sessions.AddCommitted(sessions, time.GetTimestamp());

            store.Put(low);
            store.Put(high);
            return Task.FromResult(true);
        }
    }

    public Task<bool> MergeAsync(MergeSource lower, MergeSource upper, RangeInfo merged)
    {
        lock (_sync)
        {
            if (!Holds(lower.Range.Id, lower.SourceEpoch, lower.Seq, out var low) || !Holds(upper.Range.Id, upper.SourceEpoch, upper.Seq, out var high))
            {
                return Task.FromResult(false);
            }

            // The upper copy belongs to another replica grain; both masters are fenced, so neither copy changes meanwhile.
            var copy = NewCopy(merged);
            low.CopyInto(merged, isMaster: false, copy);
            high.CopyInto(merged, isMaster: false, copy);
            copy.Sessions.AddCommitted(low.Sessions.Snapshot(long.MaxValue), time.GetTimestamp());
            copy.Sessions.AddCommitted(high.Sessions.Snapshot(long.MaxValue), time.GetTimestamp());
            store.Put(copy);
            return Task.FromResult(true);
        }
    }

    /// <summary>Whether this silo holds a complete replica of the range with exactly the writes up to <paramref name="seq"/> of <paramref name="sourceEpoch"/>.</summary>
    private bool Holds(int rangeId, long sourceEpoch, long seq, out RangeData data) =>
        store.TryGet(rangeId, out data) && !data.IsMaster && data.Complete && data.SourceEpoch == sourceEpoch && data.AppliedSeq == seq;

    /// <summary>A complete, empty replica copy of a range made in place: it follows the range's first master from write 0.</summary>
    private static RangeData NewCopy(RangeInfo range) => new(range, 0, isMaster: false) { Complete = true };

    public async Task<ReadResult> GetAsync(string key, long ringVersion)
    {
        var id = int.Parse(this.GetPrimaryKeyString().AsSpan(0, this.GetPrimaryKeyString().IndexOf('/')), System.Globalization.CultureInfo.InvariantCulture);
        lock (_sync)
        {
            // Under the lock: the data port's thread may be applying a batch to the same copy.
            if (store.TryGet(id, out var data) && !data.IsMaster && data.Complete && data.Range.Contains(KeyHash.Of(key)))
            {
                return data.TryGet(key, out var value)
                    ? new ReadResult { Status = RangeStatus.Ok, Value = value }
                    : new ReadResult { Status = RangeStatus.NotFound };
            }
        }

        var ring = ringCache.Current is { } current && current.Version >= ringVersion ? current : await ringCache.RefreshAsync();
        return new ReadResult { Status = RangeStatus.Moved, Ring = ringCache.UpdateFor(ring, ringVersion) };
    }

    private static ReplicaAck Ack(ReplicaAckStatus status, RangeData data) =>
        new() { Status = status, AppliedSeq = data.AppliedSeq, Epoch = Math.Max(data.FencedEpoch, data.Epoch) };
}
