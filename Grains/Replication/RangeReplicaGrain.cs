using DiMint.Grains.Hosting;
using DiMint.Grains.Placement;
using DiMint.Grains.Ranges;

namespace DiMint.Grains.Replication;

/// <summary>
/// A replica of one range on the silo its key names (<c>rangeId/silo</c>). It applies the master's batches in order,
/// idempotently, into the silo's <see cref="RangeStore"/>, and refuses masters older than the newest epoch it knows.
/// </summary>
[KeepAlive]
[SiloPinnedPlacement]
internal sealed class RangeReplicaGrain(RangeStore store, RingCache ringCache, LocalGrains<RangeReplicaGrain> localReplicas, IGrainFactory grains)
    : Grain, IRangeReplicaGrain
{
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
        var epoch = batch.Epoch;
        RangeData data;
        if (batch.Range is { } sent)
        {
            data = store.GetOrAdd(sent.Id, () => new RangeData(sent, 0, isMaster: false) { SourceEpoch = 0, FencedEpoch = epoch });
        }
        else if (batch.Kind != ReplicationBatchKind.Ops || !store.TryGet(batch.RangeId, out data))
        {
            // Only writes to a copy this silo holds may leave the range out (here the master thought it held one, or the
            // batch is malformed): nothing changes, and the range comes with the snapshot.
            return new ReplicaAck { Status = ReplicaAckStatus.NeedSnapshot, AppliedSeq = 0, Epoch = epoch };
        }

        var range = batch.Range ?? data.Range;
        if (data.IsMaster)
        {
            // This silo holds the master now (promoted): an older master's writes are refused.
            return Ack(ReplicaAckStatus.StaleEpoch, data);
        }

        if (epoch < data.FencedEpoch)
        {
            return Ack(ReplicaAckStatus.StaleEpoch, data);
        }

        data.FencedEpoch = epoch;
        data.Epoch = epoch;
        data.Range = range;
        switch (batch.Kind)
        {
            case ReplicationBatchKind.SnapshotStart:
                _staging = new RangeData(range, data.RingVersion, isMaster: false) { SourceEpoch = epoch, FencedEpoch = epoch, AppliedSeq = batch.FirstSeq };
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

                // Fenced meanwhile? The store's copy says so; keep the higher fence.
                _staging.FencedEpoch = Math.Max(_staging.FencedEpoch, data.FencedEpoch);
                _staging.Epoch = epoch;
                _staging.Complete = true;
                store.Put(_staging);
                var done = _staging;
                _staging = null;
                return Ack(ReplicaAckStatus.Ok, done);

            default:
                // A replica of the previous master follows a master that continues its history (promoted or moved):
                // the master checked that it holds exactly the writes it took over.
                if (!data.Complete || (data.SourceEpoch != epoch && data.SourceEpoch != batch.LineageEpoch))
                {
                    return Ack(ReplicaAckStatus.NeedSnapshot, data);
                }

                data.SourceEpoch = epoch;

                // Writes already applied are skipped; a gap is reported by answering the last applied sequence number.
                if (batch.FirstSeq <= data.AppliedSeq + 1)
                {
                    for (var i = (int)(data.AppliedSeq + 1 - batch.FirstSeq); i < batch.Ops.Length; i++)
                    {
                        data.Apply(batch.Ops[i]);
                        data.AppliedSeq = batch.FirstSeq + i;
                    }
                }

                return Ack(ReplicaAckStatus.Ok, data);
        }
    }

    public Task<ReplicaState> FenceAsync(int rangeId, long epoch)
    {
        lock (_sync)
        {
            if (store.TryGet(rangeId, out var data) && !data.IsMaster)
            {
                data.FencedEpoch = Math.Max(data.FencedEpoch, epoch);
            }

            return Task.FromResult(State(rangeId));
        }
    }

    public Task<ReplicaState> GetStateAsync(int rangeId)
    {
        lock (_sync)
        {
            return Task.FromResult(State(rangeId));
        }
    }

    private ReplicaState State(int rangeId) =>
        store.TryGet(rangeId, out var data) && !data.IsMaster
            ? new ReplicaState { RangeId = rangeId, Complete = data.Complete, AppliedSeq = data.AppliedSeq, Epoch = data.SourceEpoch }
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
            foreach (var (key, value) in data.Entries)
            {
                (upper.Contains(KeyHash.Of(key)) ? high : low).Set(key, value);
            }

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
        return new ReadResult { Status = RangeStatus.Moved, Ring = ring };
    }

    private static ReplicaAck Ack(ReplicaAckStatus status, RangeData data) =>
        new() { Status = status, AppliedSeq = data.AppliedSeq, Epoch = Math.Max(data.FencedEpoch, data.Epoch) };
}
