using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.GrainDirectory;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The master copy of one range. The key (<see cref="RangeInfo.GrainKey"/>) names the range id, its epoch and the
/// silo it lives on; the entries live in the silo's <see cref="RangeStore"/> so they outlive the activation. Every write
/// is recorded by the range's <see cref="MasterReplication"/> and acknowledged once a write quorum of the range's copies
/// holds it; reads answer committed values only, and only while the master's lease holds.
/// </summary>
/// <remarks>
/// Reentrant: a write is checked and applied in one turn (so sequence order is turn order) and then waits for its
/// acknowledgements while other requests run.
/// </remarks>
[KeepAlive]
[Reentrant]
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
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
    private MasterReplication? _replicas;
    private Ring? _staleBy;

    /// <summary>When <see cref="ReportOwnFence"/> last asked the overlord (a <see cref="TimeProvider"/> timestamp); grain turns only.</summary>
    private long _ownFenceReported;

    /// <summary>Set when this activation stopped serving but left the copy to this silo's next role in the range.</summary>
    private Ring? _steppedDownBy;
    private string? _unavailable;
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
        if (store.TryGet(id, out var data) && data.IsUnfencedMasterOf(epoch))
        {
            // A new activation of the same master (Orleans deactivated the old one).
            Serve(data);
            return;
        }

        // Otherwise the ring must name this grain: a promoted copy becomes the master's, a new range starts empty.
        var ring = await ringCache.GetAsync(0);
        var range = ring.FindById(id);
        if (range is null || range.GrainKey != grainKey)
        {
            ring = await ringCache.RefreshAsync();
            range = ring.FindById(id);
        }

        if (range is null || range.GrainKey != grainKey)
        {
            _staleBy = ring;
            LogStaleActivation(logger, grainKey, ring.Version);
            return;
        }

        if (data is not null && data.FencedEpoch > epoch)
        {
            // The ring names this master, but its copy was fenced for a newer epoch that was never published (a promotion
            // that could not publish: an overlord cut off by a partition). Nobody else will notice: the overlord settles
            // it with a promotion at a newer epoch, which may keep this copy.
            _unavailable = $"its copy was fenced for epoch {data.FencedEpoch}, which the ring never got; it is being promoted again";
            LogStuckEpoch(logger, id, epoch, data.FencedEpoch);

            // From the thread pool: the overlord may call this grain, which is still activating.
            _ = Task.Run(() => AskToResolveEpochAsync(id, epoch));
            return;
        }

        if (data is { Complete: true, RetiredBy: null } && (!data.IsMaster || data.Epoch < epoch))
        {
            // Promoted: a replica's copy, or the copy of an earlier master of this range on this silo (fenced for this
            // promotion, or left by a restart of the silo's runtime). Its writes, committed or not, are now the history.
            data.LineageSeq = data.AppliedSeq;
            if (data.IsMaster)
            {
                data.SourceEpoch = data.Epoch;
            }

            data.RaiseFence(epoch);
            data.ChangeHeader(_ => new RangeHeader(range, ring.Version, IsMaster: true, epoch));
            data.Commit(data.AppliedSeq);
            LogPromoted(logger, id, epoch, data.AppliedSeq, data.Count);
            Serve(data);
        }
        else if ((data is null || !data.Complete) && range.EmptyEpoch == epoch)
        {
            // The ring made this range empty at this epoch (a new ring, a range that never had an acknowledged write, an
            // operator's recovery); a copy that is not complete held none.
            data = new RangeData(range, ring.Version, isMaster: true);
            store.Put(data);
            LogRangeCreated(logger, id, range.BoundsText);
            Serve(data);
        }
        else
        {
            // The ring names this silo for a range whose copy is not here: never start empty in its place.
            _unavailable = data is null ? "this silo holds no copy of it" : "this silo's copy of it is incomplete";
            LogNoCopy(logger, id, epoch, _unavailable);
        }
    }

    /// <summary>Starts serving <paramref name="data"/> as this epoch's master.</summary>
    private void Serve(RangeData data)
    {
        _data = data;
        _replicas = new MasterReplication(data, store, _epoch, replicationChannel, grains, _replication, _rebalance, time, logger, OnDeposed);
        _replicas.Configure(data.Range);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivated = true;
        localRanges.Remove(this.GetPrimaryKeyString(), this);
        _replicas?.Stop();
        return Task.CompletedTask;
    }

    public async Task<ReadResult> GetAsync(string key, long ringVersion)
    {
        CheckKey(key);
        if (await RefuseAsync(key, ringVersion) is { } moved)
        {
            return new ReadResult { Status = RangeStatus.Moved, Ring = moved };
        }

        return await ReadAsync(() => _data!.TryGet(key, out var value)
            ? new ReadResult { Status = RangeStatus.Ok, Value = value }
            : NotFoundRead);
    }

    public async Task<ReadResult> ExistsAsync(string key, long ringVersion)
    {
        CheckKey(key);
        if (await RefuseAsync(key, ringVersion) is { } moved)
        {
            return new ReadResult { Status = RangeStatus.Moved, Ring = moved };
        }

        return await ReadAsync(() => _data!.ContainsKey(key) ? FoundRead : NotFoundRead);
    }

    public async Task<BatchReadResult> GetManyAsync(string[] keys, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            CheckKey(key);
            if (await RefuseAsync(key, ringVersion) is { } moved)
            {
                return new BatchReadResult { Status = RangeStatus.Moved, Ring = moved };
            }
        }

        return await ReadAsync(() => new BatchReadResult { Status = RangeStatus.Ok, Values = _data!.GetMany(keys) });
    }

    public async Task<WriteResult> SetAsync(string key, byte[] value, long ringVersion, WriteIds? ids = null)
    {
        CheckEntry(key, value);
        if (await RefuseAsync(key, ringVersion) is { } moved)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
        }

        await EnsureLeaseAsync();
        _replicas!.CheckWritable();
        return await _replicas.AcknowledgeAsync(_replicas.Store([key], [value], ids));
    }

    public async Task<WriteResult> DeleteAsync(string key, long ringVersion, WriteIds? ids = null)
    {
        CheckKey(key);
        if (await RefuseAsync(key, ringVersion) is { } moved)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
        }

        await EnsureLeaseAsync();
        _replicas!.CheckWritable();
        var seq = _replicas.Store([key], [null], ids);
        return seq == 0 ? WriteResult.NotFound : await _replicas.AcknowledgeAsync(seq);
    }

    public async Task<WriteResult> SetManyAsync(string[] keys, byte[][] values, long ringVersion, WriteIds? ids = null)
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
            if (await RefuseAsync(keys[i], ringVersion) is { } moved)
            {
                return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
            }
        }

        if (keys.Length == 0)
        {
            return WriteResult.Ok;
        }

        await EnsureLeaseAsync();
        _replicas!.CheckWritable();
        return await _replicas.AcknowledgeAsync(_replicas.Store(keys, values, ids));
    }

    /// <summary>
    /// <see cref="SetManyAsync"/> started in a turn without awaiting in it: when the writes are this master's, valid and
    /// unfenced, they are stored and sent at once, and the task completes where their acknowledgement arrives (no turn
    /// for it). Anything else takes <see cref="SetManyAsync"/>, which answers Moved, waits out a fence or throws.
    /// </summary>
    private Task<WriteResult> StartSetMany(string[] keys, byte[][] values, long ringVersion, WriteIds? ids)
    {
        if (keys is null || values is null || keys.Length == 0 || keys.Length != values.Length || _fence is not null || _replicas is not { HoldsLease: true })
        {
            return SetManyAsync(keys!, values!, ringVersion, ids);
        }

        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                CheckEntry(keys[i], values[i]);
                if (!Owns(keys[i], ringVersion))
                {
                    return SetManyAsync(keys, values, ringVersion, ids);
                }
            }

            _replicas.CheckWritable();
        }
        catch (Exception ex)
        {
            return Task.FromException<WriteResult>(ex);
        }

        return _replicas.AcknowledgeAsync(_replicas.Store(keys, values, ids));
    }

    /// <summary>
    /// <see cref="SetManyAsync"/> for the silo's batch service, from its thread (the data port's receiving thread). When
    /// this master serves every key now, the writes are stored right there, under its replication's lock and its copy's
    /// (<see cref="MasterReplication.TryStoreServing"/>), with no turn. Anything else runs as a turn of this activation,
    /// queued on its scheduler rather than sent as a message (<see cref="StartSetMany"/>). Either completes where the
    /// replicas' acknowledgement arrives. An activation that is going away hands the call to Orleans, which routes it to
    /// the grain's current activation.
    /// </summary>
    internal Task<WriteResult> SetManyFromSiloAsync(string[] keys, byte[][] values, long ringVersion, WriteIds? ids)
    {
        if (_deactivated)
        {
            return SetManyThroughOrleansAsync(keys, values, ringVersion, ids);
        }

        if (TryStoreHere(keys, values, ringVersion, ids) is { } stored)
        {
            return stored;
        }

        return Turn.Queue(GrainContext, () =>
            // Deactivated between queueing and running: this activation no longer owns the range's writes.
            _deactivated ? SetManyThroughOrleansAsync(keys, values, ringVersion, ids) : StartSetMany(keys, values, ringVersion, ids));
    }

    /// <summary>The most value bytes a batch may carry to be stored on the receiving thread (<see cref="TryStoreHere"/>).</summary>
    private const long MaxBytesStoredHere = 256 * 1024;

    /// <summary>
    /// Off the grain's scheduler: stores valid writes this master serves now and answers when they are acknowledged; null
    /// when they need a turn (invalid, over <see cref="MaxBytesStoredHere"/>, not this master's, fenced, no lease, too few replicas). Safe from any thread:
    /// <see cref="_replicas"/> is set before the activation is listed in <see cref="LocalGrains{T}"/>, and every other
    /// condition is checked under the locks the store holds.
    /// </summary>
    private Task<WriteResult>? TryStoreHere(string[] keys, byte[][] values, long ringVersion, WriteIds? ids)
    {
        if (_replicas is not { } replicas || keys is null || values is null || keys.Length == 0 || keys.Length != values.Length)
        {
            return null;
        }

        long bytes = 0;
        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                CheckEntry(keys[i], values[i]);
                bytes += values[i].Length;
            }
        }
        catch (Exception ex) when (ex is DiMintException or ArgumentException)
        {
            // Invalid: the turn throws it to the caller (StartSetMany).
            return null;
        }

        if (bytes > MaxBytesStoredHere)
        {
            // A large batch is stored and sent to the replicas in a turn on the thread pool: the receiving thread is the
            // process's socket engine thread, which every connection of the process (probes included) waits for.
            return null;
        }

        var seq = replicas.TryStoreServing(keys, values, ids, ringVersion);
        return seq < 0 ? null : replicas.AcknowledgeAsync(seq);
    }

    /// <summary>
    /// The write as a grain call, which Orleans delivers to the grain's current activation. Made from the thread pool with
    /// the silo's grain factory: this activation may be invalid already, and its own factory and context with it.
    /// </summary>
    private Task<WriteResult> SetManyThroughOrleansAsync(string[] keys, byte[][] values, long ringVersion, WriteIds? ids)
    {
        var key = this.GetPrimaryKeyString();
        return Task.Run(() => grains.GetGrain<IRangeGrain>(key).SetManyAsync(keys, values, ringVersion, ids));
    }

    public Task<RangeStats> GetStatsAsync() => Task.FromResult(Stats());

    public Task<ulong?> GetSplitPointAsync()
    {
        if (!IsCurrent)
        {
            return Task.FromResult<ulong?>(null);
        }

        return Task.FromResult(RingPlanner.ChooseSplitPoint(_data!.HashesAndSizes(), _data.Range.Start));
    }

    public Task<RangeStats> ConfigureAsync(RangeInfo range, long ringVersion)
    {
        if (!IsCurrent || range.GrainKey != this.GetPrimaryKeyString())
        {
            StartOverIfNamed(range);
            throw _unavailable is not null
                ? new RangeUnavailableException(ParseKey(this.GetPrimaryKeyString()).Id, _unavailable)
                : new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range grain {this.GetPrimaryKeyString()} is not the master of {range.GrainKey}.");
        }

        if (ringVersion >= _data!.RingVersion)
        {
            Adopt(range, ringVersion);
        }

        return Task.FromResult(Stats());
    }

    /// <summary>Takes <paramref name="range"/> (a newer configuration) as current at <paramref name="ringVersion"/>.</summary>
    private void Adopt(RangeInfo range, long ringVersion)
    {
        _data!.ChangeHeader(h => h with { Range = range, RingVersion = Math.Max(h.RingVersion, ringVersion) });
        _replicas!.Configure(range);
    }

    private RangeStats Stats() =>
        IsCurrent ? _data!.Stats(_replicas!.ReplicaLag(), _replicas.ReplicasInSync()) : new RangeStats { RangeId = ParseKey(this.GetPrimaryKeyString()).Id, Keys = 0, Bytes = 0 };

    /// <summary>Whether this activation serves its range: its copy is this epoch's master and was neither retired nor taken over.</summary>
    private bool IsCurrent => _steppedDownBy is null && _data is { } data && data.RetiredBy is null && data.IsMaster && data.Epoch == _epoch;

    /// <summary>The fast path: the grain is current, unfenced, and the key's hash is in its range.</summary>
    private bool Owns(string key, long ringVersion) =>
        IsCurrent && ringVersion <= _data!.RingVersion && _data.Range.Contains(KeyHash.Of(key));

    /// <summary>
    /// Null when this master serves <paramref name="key"/> for a client at <paramref name="ringVersion"/> now (having
    /// waited out a ring operation's fence), else the ring to answer Moved with: what changed since the client's version
    /// when this silo still has that version.
    /// </summary>
    private async Task<RingUpdate?> RefuseAsync(string key, long ringVersion)
    {
        while (true)
        {
            var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
            if (moved is not null)
            {
                return ringCache.UpdateFor(moved, ringVersion);
            }

            if (_fence is null)
            {
                return null;
            }

            await WaitOutFenceAsync();
        }
    }

    /// <summary>The slow path: null if the grain owns the key after all, else the ring to send back with Moved.</summary>
    private async Task<Ring?> MovedRingAsync(string key, long ringVersion)
    {
        if (_unavailable is not null)
        {
            throw new RangeUnavailableException(ParseKey(this.GetPrimaryKeyString()).Id, _unavailable);
        }

        if (_data is null)
        {
            var newer = await NewerRingAsync(ringVersion, _staleBy!);
            if (newer.FindById(ParseKey(this.GetPrimaryKeyString()).Id) is { } named)
            {
                StartOverIfNamed(named);
            }

            return newer;
        }

        if ((_data.RetiredBy ?? _steppedDownBy) is { } retiredBy)
        {
            return await NewerRingAsync(ringVersion, retiredBy);
        }

        if (!IsCurrent)
        {
            // A newer master took this copy over (a promotion on this silo): this activation is done.
            return await ringCache.RefreshAsync();
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
                Adopt(range, ring.Version);
            }
        }

        return _data.Range.Contains(KeyHash.Of(key)) ? null : ringCache.Current ?? await ringCache.GetAsync(ringVersion);
    }

    /// <summary>
    /// An activation that never served (the ring it read did not name it, or its copy was not here) although
    /// <paramref name="range"/> names it now: it started before that ring reached it (it asked an overlord that had not
    /// seen it; two activations of the overlord overlap after a partition heals) or before its copy arrived. It goes, so
    /// that the next call starts one that looks again.
    /// </summary>
    private void StartOverIfNamed(RangeInfo range)
    {
        if (_data is null && range.GrainKey == this.GetPrimaryKeyString())
        {
            this.DeactivateOnIdle();
        }
    }

    private async Task<Ring> NewerRingAsync(long ringVersion, Ring known) =>
        known.Version >= ringVersion ? known : await ringCache.GetAsync(ringVersion);

    /// <summary>
    /// Reads under the lease: <paramref name="read"/> runs first and the lease is checked after it, so what it read was
    /// current while no successor could have been promoted. Without the lease, renews it (a heartbeat to the replicas)
    /// and reads again; a master that cannot renew it answers <see cref="RangeUnavailableException"/>.
    /// </summary>
    private async Task<T> ReadAsync<T>(Func<T> read)
    {
        while (true)
        {
            var result = read();
            if (_replicas!.HoldsLease)
            {
                return result;
            }

            await EnsureLeaseAsync();
        }
    }

    /// <summary>
    /// Returns once this master holds its lease (renewing it with a heartbeat to the replicas when it ran out): a master
    /// that cannot confirm its quorum neither serves reads nor takes writes it could not commit, and answers
    /// <see cref="RangeUnavailableException"/> (nothing changed, so the client may retry) instead.
    /// </summary>
    private async Task EnsureLeaseAsync()
    {
        if (_replicas!.HoldsLease)
        {
            return;
        }

        if (!await _replicas.RenewLeaseAsync(_replication.AckTimeout))
        {
            ReportOwnFence();
            throw new RangeUnavailableException(_data!.Range.Id, "its master could not confirm with enough replicas that it still holds the range");
        }

        if (!IsCurrent)
        {
            throw new RangeUnavailableException(_data!.Range.Id, "its master was replaced while the request waited");
        }
    }

    /// <summary>A replica said this master's epoch is over (from a replication thread): learn the ring in a turn and act on it.</summary>
    private void OnDeposed(ReplicaAck ack)
    {
        if (_deactivated)
        {
            return;
        }

        _ = Turn.Queue(GrainContext, async () =>
        {
            await HandleDeposedAsync(ack);
            return true;
        });
    }

    private async Task HandleDeposedAsync(ReplicaAck ack)
    {
        if (!IsCurrent)
        {
            // Taken over meanwhile (a newer master of this range on this silo): stop replicating as this epoch.
            _replicas?.Stop();
            return;
        }

        var ring = await ringCache.RefreshAsync();
        if (!IsCurrent)
        {
            return;
        }

        if (ring.FindById(_data!.Range.Id)?.GrainKey != this.GetPrimaryKeyString())
        {
            Retire(ring);
            return;
        }

        // The ring still names this master, but a replica was fenced for a newer epoch that was never published (a
        // promotion that did not gather its quorum): the overlord settles it with a promotion that may keep this copy.
        LogStuckEpoch(logger, _data.Range.Id, _epoch, ack.Epoch);
        await AskToResolveEpochAsync(_data.Range.Id, _epoch);
    }

    /// <summary>
    /// This master's own copy was fenced for an epoch the ring never got (the overlord that fenced it lost its ring's
    /// compare-and-swap, or went with its silo, as a partition healed): it can no longer renew its lease, and nothing else
    /// notices. Asks the overlord to settle it, at most once a second.
    /// </summary>
    private void ReportOwnFence()
    {
        if (_data!.FencedEpoch > _epoch && time.GetElapsedTime(_ownFenceReported) >= TimeSpan.FromSeconds(1))
        {
            _ownFenceReported = time.GetTimestamp();
            LogStuckEpoch(logger, _data.Range.Id, _epoch, _data.FencedEpoch);
            _ = AskToResolveEpochAsync(_data.Range.Id, _epoch);
        }
    }

    /// <summary>
    /// Tells the overlord that copies of the range were fenced for an epoch the ring never got while it names this master
    /// at <paramref name="epoch"/>; asked again on the next refusal or activation when the overlord cannot be reached.
    /// </summary>
    private async Task AskToResolveEpochAsync(int rangeId, long epoch)
    {
        try
        {
            await grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord).ResolveEpochAsync(rangeId, epoch).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or DiMintException)
        {
            // Asked again later.
        }
    }

    /// <summary>
    /// This activation no longer serves the range: it answers Moved with <paramref name="ring"/> from now on. The copy is
    /// dropped, unless <paramref name="ring"/> still has this silo hold the range (promoted again here at a newer epoch, or
    /// a replica of the new master): then it is left for that role, whose grain takes it over.
    /// </summary>
    private void Retire(Ring ring)
    {
        if (_data is null || _data.RetiredBy is not null || _steppedDownBy is not null)
        {
            return;
        }

        var current = IsCurrent;
        _steppedDownBy = ring;
        _replicas?.Stop();
        _replicas?.FailWaiters(ring);
        var silo = GrainContext.Address.SiloAddress!;
        var range = ring.FindById(_data.Range.Id);
        var heldHere = range is not null && (range.Master.Equals(silo) || range.Replicas.Contains(silo));
        if (current && !heldHere)
        {
            _data.Retire(ring);
            store.Remove(_data.Range.Id);
        }
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

    private static readonly ReadResult NotFoundRead = new() { Status = RangeStatus.NotFound };
    private static readonly ReadResult FoundRead = new() { Status = RangeStatus.Ok };

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId} created empty on this silo: {Bounds}")]
    private static partial void LogRangeCreated(ILogger logger, int rangeId, string bounds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId} promoted on this silo at epoch {Epoch}: {AppliedSeq} writes applied, {Keys} keys")]
    private static partial void LogPromoted(ILogger logger, int rangeId, long epoch, long appliedSeq, long keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range grain {GrainKey} is not in ring {RingVersion}; it answers Moved")]
    private static partial void LogStaleActivation(ILogger logger, string grainKey, long ringVersion);

    [LoggerMessage(Level = LogLevel.Error, Message = "Range {RangeId}: the ring names this silo its master at epoch {Epoch}, but {Reason}; it stays unavailable (an operator can recover it with 'dimint recover')")]
    private static partial void LogNoCopy(ILogger logger, int rangeId, long epoch, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: a copy was fenced for epoch {FencedEpoch} while the ring still names this master at epoch {Epoch}; asking the overlord to settle it")]
    private static partial void LogStuckEpoch(ILogger logger, int rangeId, long epoch, long fencedEpoch);
}
