using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The master copy of one range. The key (<see cref="RangeInfo.GrainKey"/>) names the range id, its epoch and the
/// silo it lives on; the entries live in the silo's <see cref="RangeStore"/> so they outlive the activation.
/// </summary>
[KeepAlive]
[SiloPinnedPlacement]
internal sealed partial class RangeGrain(
    RangeStore store,
    RingCache ringCache,
    IOptions<DiMintLimitsOptions> limits,
    ILogger<RangeGrain> logger) : Grain, IRangeGrain
{
    private readonly DiMintLimitsOptions _limits = limits.Value;
    private RangeData? _data;
    private Ring? _staleBy;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var grainKey = this.GetPrimaryKeyString();
        if (store.TryGet(grainKey, out var data))
        {
            _data = data;
            return;
        }

        // Not in the store: every operation that gives a range data (a split) puts it in the store before the ring
        // naming the range is published, so a range the ring names and the store lacks is new and empty.
        var (id, epoch) = ParseKey(grainKey);
        var ring = await ringCache.GetAsync(0);
        var range = ring.FindById(id);
        if (range is not null && range.Epoch == epoch && range.GrainKey == grainKey)
        {
            _data = store.GetOrAdd(grainKey, () => new RangeData(range, ring.Version));
            LogRangeCreated(logger, id, range.BoundsText);
        }
        else
        {
            _staleBy = ring;
            LogStaleActivation(logger, grainKey, ring.Version);
        }
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

        _data!.Set(key, value);
        return WriteResult.Ok;
    }

    public async Task<WriteResult> DeleteAsync(string key, long ringVersion)
    {
        CheckKey(key);
        var moved = Owns(key, ringVersion) ? null : await MovedRingAsync(key, ringVersion);
        if (moved is not null)
        {
            return new WriteResult { Status = RangeStatus.Moved, Ring = moved };
        }

        return _data!.Remove(key) ? WriteResult.Ok : WriteResult.NotFound;
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

        for (var i = 0; i < keys.Length; i++)
        {
            _data!.Set(keys[i], values[i]);
        }

        return WriteResult.Ok;
    }

    public Task<RangeStats> GetStatsAsync() => Task.FromResult(
        _data?.Stats() ?? new RangeStats { RangeId = ParseKey(this.GetPrimaryKeyString()).Id, Keys = 0, Bytes = 0 });

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

    public Task<RangeStats[]> SplitAsync(RangeInfo lower, RangeInfo upper, Ring ring)
    {
        var data = _data ?? throw new RingOperationException(DiMintErrorCode.UnknownRange, $"Range grain {this.GetPrimaryKeyString()} holds no range.");
        if (data.RetiredBy is { } done)
        {
            if (done.Version == ring.Version && store.TryGet(lower.GrainKey, out var l) && store.TryGet(upper.GrainKey, out var u))
            {
                return Task.FromResult(new[] { l.Stats(), u.Stats() });
            }

            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {data.Range.Id} was already replaced at ring version {done.Version}.");
        }

        var range = data.Range;
        if (lower.Start != range.Start || upper.End != range.End || lower.End != upper.Start
            || !lower.Master.Equals(range.Master) || !upper.Master.Equals(range.Master))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"{lower.BoundsText} and {upper.BoundsText} do not split range {range.Id} {range.BoundsText} on its silo.");
        }

        var low = new RangeData(lower, ring.Version);
        var high = new RangeData(upper, ring.Version);
        foreach (var (key, value) in data.Entries)
        {
            (upper.Contains(KeyHash.Of(key)) ? high : low).Set(key, value);
        }

        store.Put(lower.GrainKey, low);
        store.Put(upper.GrainKey, high);
        data.Retire(ring);
        LogSplit(logger, range.Id, lower.Id, low.Count, upper.Id, high.Count, ring.Version);
        return Task.FromResult(new[] { low.Stats(), high.Stats() });
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
            var range = ring.FindById(_data.Range.Id);
            if (range is null || range.GrainKey != this.GetPrimaryKeyString())
            {
                return ring;
            }

            _data.RingVersion = ring.Version;
        }

        return _data.Range.Contains(KeyHash.Of(key)) ? null : ringCache.Current ?? await ringCache.GetAsync(ringVersion);
    }

    private async Task<Ring> NewerRingAsync(long ringVersion, Ring known) =>
        known.Version >= ringVersion ? known : await ringCache.GetAsync(ringVersion);

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

    internal static (int Id, long Epoch) ParseKey(string grainKey)
    {
        var parts = grainKey.Split('/');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static readonly ReadResult NotFoundRead = new() { Status = RangeStatus.NotFound };
    private static readonly ReadResult FoundRead = new() { Status = RangeStatus.Ok };

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId} created empty on this silo: {Bounds}")]
    private static partial void LogRangeCreated(ILogger logger, int rangeId, string bounds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range grain {GrainKey} is not in ring {RingVersion}; it answers Moved")]
    private static partial void LogStaleActivation(ILogger logger, string grainKey, long ringVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Range {RangeId} split into {LowerId} ({LowerKeys} keys) and {UpperId} ({UpperKeys} keys) at ring version {RingVersion}")]
    private static partial void LogSplit(ILogger logger, int rangeId, int lowerId, long lowerKeys, int upperId, long upperKeys, long ringVersion);
}
