using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The master copy of one range. The key (<see cref="RangeInfo.GrainKey"/>) names the range id, its epoch and the
/// silo it lives on; the entries live in the silo's <see cref="RangeStore"/> so they outlive the activation. Every
/// write gets the next sequence number and goes to the replicas (see <c>RangeGrain.Replication.cs</c>); with
/// <c>WriteAcks</c> n it is acknowledged once n replicas hold it.
/// </summary>
/// <remarks>
/// Reentrant: a write is checked and applied in one turn (so sequence order is turn order) and then waits for its
/// acknowledgements while other requests run.
/// </remarks>
[KeepAlive]
[Reentrant]
[SiloPinnedPlacement]
internal sealed partial class RangeGrain(
    RangeStore store,
    LocalGrains<RangeGrain> localRanges,
    ReplicationChannel replicationChannel,
    RingCache ringCache,
    IOptions<DiMintLimitsOptions> limits,
    IOptions<ReplicationOptions> replication,
    IOptions<RebalanceOptions> rebalance,
    TimeProvider time,
    IGrainFactory grains,
    ILogger<RangeGrain> logger) : Grain, IRangeGrain
{
    private readonly DiMintLimitsOptions _limits = limits.Value;
    private readonly ReplicationOptions _replication = replication.Value;
    private readonly RebalanceOptions _rebalance = rebalance.Value;
    private RangeData? _data;
    private Ring? _staleBy;
    private long _epoch;
    private volatile bool _deactivated;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ActivateAsync();

        // Only now: the batch service queues turns on this activation directly, which Orleans would not deliver
        // before the activation completes.
        localRanges.Add(this.GetPrimaryKeyString(), this);
    }

    private async Task ActivateAsync()
    {
        var grainKey = this.GetPrimaryKeyString();
        var (id, epoch) = ParseKey(grainKey);
        _epoch = epoch;
        if (store.TryGet(id, out var data) && data.IsMaster && data.Epoch == epoch)
        {
            // A new activation of the same master (Orleans deactivated the old one).
            _data = data;
            StartReplication();
            return;
        }

        // Otherwise the ring must name this grain: a new range starts empty, a promoted replica's copy becomes the master's.
        var ring = await ringCache.GetAsync(0);
        var range = ring.FindById(id);
        if (range is null || range.GrainKey != grainKey)
        {
            ring = await ringCache.RefreshAsync();
            range = ring.FindById(id);
        }

        if (range is null || range.GrainKey != grainKey || (data is not null && data.FencedEpoch > epoch))
        {
            _staleBy = ring;
            LogStaleActivation(logger, grainKey, ring.Version);
            return;
        }

        if (data is not null && !data.IsMaster && data.Complete)
        {
            data.IsMaster = true;
            data.LineageSeq = data.AppliedSeq;
            data.Epoch = epoch;
            data.FencedEpoch = epoch;
            data.Range = range;
            data.RingVersion = ring.Version;
            _data = data;
            LogPromoted(logger, id, epoch, data.AppliedSeq, data.Count);
        }
        else
        {
            // Every operation that gives a range data (split, promotion) puts it in the store before the ring naming
            // the range is published, so a range the ring names and the store lacks (or holds incomplete) is new.
            _data = new RangeData(range, ring.Version, isMaster: true);
            store.Put(_data);
            LogRangeCreated(logger, id, range.BoundsText);
        }

        StartReplication();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivated = true;
        localRanges.Remove(this.GetPrimaryKeyString(), this);
        StopReplication();
        return Task.CompletedTask;
    }

    public async Task<ReadResult> GetAsync(string key, long ringVersion)
    {
        var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
        if (moved is not null)
        {
            return new ReadResult { Status = RangeStatus.Moved, Ring = moved };
        }

        return _data!.TryGet(key, out var value)
            ? new ReadResult { Status = RangeStatus.Ok, Value = value }
            : NotFoundRead;
    }

    public async Task<ReadResult> ExistsAsync(string key, long ringVersion)
    {
        var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
        if (moved is not null)
        {
            return new ReadResult { Status = RangeStatus.Moved, Ring = moved };
        }

        return _data!.ContainsKey(key) ? FoundRead : NotFoundRead;
    }

    public async Task<WriteResult> SetAsync(string key, byte[] value, long ringVersion)
    {
        CheckEntry(key, value);
        var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
        if (moved is not null)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
        }

        if (_fence is not null && await WaitOutFenceAsync() is { } fencedBy)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = fencedBy };
        }

        CheckReplicasAvailable();
        return await AcknowledgeAsync(Store([key], [value]));
    }

    public async Task<WriteResult> DeleteAsync(string key, long ringVersion)
    {
        CheckKey(key);
        var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
        if (moved is not null)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
        }

        if (_fence is not null && await WaitOutFenceAsync() is { } fencedBy)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = fencedBy };
        }

        CheckReplicasAvailable();
        long seq;
        lock (_replicationLock)
        {
            if (!_data!.Remove(key))
            {
                return WriteResult.NotFound;
            }

            seq = Record(new ReplicationOp { Key = key, Value = null });
        }

        Replicate();
        return await AcknowledgeAsync(seq);
    }

    public async Task<BatchReadResult> GetManyAsync(string[] keys, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            CheckKey(key);
            var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
            if (moved is not null)
            {
                return new BatchReadResult { Status = RangeStatus.Moved, Ring = moved };
            }
        }

        var values = new byte[]?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            values[i] = _data!.TryGet(keys[i], out var value) ? value : null;
        }

        return new BatchReadResult { Status = RangeStatus.Ok, Values = values };
    }

    public async Task<WriteResult> SetManyAsync(string[] keys, byte[][] values, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.Length != values.Length)
        {
            throw new ArgumentException($"{keys.Length} keys but {values.Length} values.", nameof(values));
        }

        // Check everything before changing anything: a batch is stored whole or not at all.
        for (var i = 0; i < keys.Length; i++)
        {
            CheckEntry(keys[i], values[i]);
            var moved = Owns(keys[i], ringVersion) ? null : await MovedRingAsync(keys[i], ringVersion);
            if (moved is not null)
            {
                return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
            }
        }

        if (keys.Length == 0)
        {
            return WriteResult.Ok;
        }

        if (_fence is not null && await WaitOutFenceAsync() is { } fencedBy)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = fencedBy };
        }

        CheckReplicasAvailable();
        return await AcknowledgeAsync(Store(keys, values));
    }

    /// <summary>Applies checked writes, records them and sends them to the replicas; answers the last one's sequence number.</summary>
    private long Store(string[] keys, byte[][] values)
    {
        long seq = 0;
        lock (_replicationLock)
        {
            for (var i = 0; i < keys.Length; i++)
            {
                _data!.Set(keys[i], values[i]);
                seq = Record(new ReplicationOp { Key = keys[i], Value = values[i] });
            }
        }

        Replicate();
        return seq;
    }

    /// <summary>
    /// <see cref="SetManyAsync"/> started in a turn without awaiting in it: when the writes are this master's, valid and
    /// unfenced, they are stored and sent at once, and the task completes where their acknowledgement arrives (no turn
    /// for it). Anything else takes <see cref="SetManyAsync"/>, which answers Moved, waits out a fence or throws.
    /// </summary>
    private Task<WriteResult> StartSetMany(string[] keys, byte[][] values, long ringVersion)
    {
        if (keys is null || values is null || keys.Length == 0 || keys.Length != values.Length || _fence is not null)
        {
            return SetManyAsync(keys!, values!, ringVersion);
        }

        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                CheckEntry(keys[i], values[i]);
                if (!Owns(keys[i], ringVersion))
                {
                    return SetManyAsync(keys, values, ringVersion);
                }
            }

            CheckReplicasAvailable();
        }
        catch (Exception ex)
        {
            return Task.FromException<WriteResult>(ex);
        }

        return AcknowledgeAsync(Store(keys, values));
    }

    /// <summary>
    /// <see cref="SetManyAsync"/> for the silo's batch service, from its thread: runs as a turn of this activation, queued
    /// on its scheduler rather than sent as a message (<see cref="StartSetMany"/>), and completes where the replicas'
    /// acknowledgement arrives. An activation that is going away hands the call to Orleans, which routes it to the
    /// grain's current activation.
    /// </summary>
    internal Task<WriteResult> SetManyFromSiloAsync(string[] keys, byte[][] values, long ringVersion) =>
        _deactivated
            ? SetManyThroughOrleansAsync(keys, values, ringVersion)
            : Turn.Queue(GrainContext, () =>
                // Deactivated between queueing and running: this activation no longer owns the range's writes.
                _deactivated ? SetManyThroughOrleansAsync(keys, values, ringVersion) : StartSetMany(keys, values, ringVersion));

    /// <summary>
    /// The write as a grain call, which Orleans delivers to the grain's current activation. Made from the thread pool with
    /// the silo's grain factory: this activation may be invalid already, and its own factory and context with it.
    /// </summary>
    private Task<WriteResult> SetManyThroughOrleansAsync(string[] keys, byte[][] values, long ringVersion)
    {
        var key = this.GetPrimaryKeyString();
        return Task.Run(() => grains.GetGrain<IRangeGrain>(key).SetManyAsync(keys, values, ringVersion));
    }

    public Task<RangeStats> GetStatsAsync() => Task.FromResult(
        _data?.Stats(ReplicaLag(), CountReplicas(static f => f.InSync)) ?? new RangeStats { RangeId = ParseKey(this.GetPrimaryKeyString()).Id, Keys = 0, Bytes = 0 });

    public Task<ulong?> GetSplitPointAsync()
    {
        if (_data is null || _data.RetiredBy is not null)
        {
            return Task.FromResult<ulong?>(null);
        }

        var points = new List<(ulong Hash, long Bytes)>(_data.Entries.Count);
        foreach (var (key, value) in _data.Entries)
        {
            points.Add((KeyHash.Of(key), RangeData.SizeOf(key, value)));
        }

        return Task.FromResult(RingPlanner.ChooseSplitPoint(points, _data.Range.Start));
    }

    /// <summary>The fast path: the grain is current and the key's hash is in its range.</summary>
    private bool Owns(string key, long ringVersion) =>
        _data is { RetiredBy: null } data && ringVersion <= data.RingVersion && data.Range.Contains(KeyHash.Of(key));

    /// <summary>The slow path: null if the grain owns the key after all, else the ring to send back with Moved.</summary>
    private async Task<Ring?> MovedRingAsync(string key, long ringVersion)
    {
        if (_data is null)
        {
            return await NewerRingAsync(ringVersion, _staleBy!);
        }

        if (_data.RetiredBy is { } retiredBy)
        {
            return await NewerRingAsync(ringVersion, retiredBy);
        }

        if (ringVersion > _data.RingVersion)
        {
            var ring = await ringCache.GetAsync(ringVersion);
            if (_data.RetiredBy is { } retired)
            {
                return retired;
            }

            var range = ring.FindById(_data.Range.Id);
            if (range is null || range.GrainKey != this.GetPrimaryKeyString())
            {
                return ring;
            }

            if (ring.Version > _data.RingVersion)
            {
                _data.RingVersion = ring.Version;
                Reconfigure(range);
            }
        }

        return _data.Range.Contains(KeyHash.Of(key)) ? null : ringCache.Current ?? await ringCache.GetAsync(ringVersion);
    }

    private async Task<Ring> NewerRingAsync(long ringVersion, Ring known) =>
        known.Version >= ringVersion ? known : await ringCache.GetAsync(ringVersion);

    /// <summary>This range is no longer served here in this form: drop the copy and answer Moved with <paramref name="ring"/>.</summary>
    private void Retire(Ring ring)
    {
        if (_data is null || _data.RetiredBy is not null)
        {
            return;
        }

        StopReplication();
        FailWaiters(ring);
        _data.Retire(ring);
        store.Remove(_data.Range.Id);
    }

    private void CheckKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new InvalidKeyException("A key cannot be null or empty.");
        }

        DiMintKey.CheckSize(key, _limits.MaxKeyBytes);
    }

    private void CheckEntry(string key, byte[] value)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ValueCodec.CheckSize(value.Length, _limits.MaxValueBytes);
    }

    internal static (int Id, long Epoch) ParseKey(string grainKey) =>
        TryParseKey(grainKey, out var parsed) ? parsed : throw new FormatException($"'{grainKey}' is not a range grain key (id/epoch/silo).");

    /// <summary>Range id and epoch from a grain key (<c>id/epoch/silo</c>), or false when it is not one.</summary>
    internal static bool TryParseKey(string grainKey, out (int Id, long Epoch) parsed)
    {
        parsed = default;
        var parts = grainKey.Split('/');
        if (parts.Length < 2
            || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var epoch))
        {
            return false;
        }

        parsed = (id, epoch);
        return true;
    }

    /// <summary>A write handed over by the silo's batch service, run as a turn of this activation.</summary>
    private static readonly ReadResult NotFoundRead = new() { Status = RangeStatus.NotFound };
    private static readonly ReadResult FoundRead = new() { Status = RangeStatus.Ok };

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId} created empty on this silo: {Bounds}")]
    private static partial void LogRangeCreated(ILogger logger, int rangeId, string bounds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId} promoted on this silo at epoch {Epoch}: {AppliedSeq} writes applied, {Keys} keys")]
    private static partial void LogPromoted(ILogger logger, int rangeId, long epoch, long appliedSeq, long keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range grain {GrainKey} is not in ring {RingVersion}; it answers Moved")]
    private static partial void LogStaleActivation(ILogger logger, string grainKey, long ringVersion);

}
