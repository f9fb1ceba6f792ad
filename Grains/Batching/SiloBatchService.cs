using DiMint.Grains.Hosting;
using DiMint.Grains.Ranges;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Batching;

/// <summary>
/// Serves client batches on this silo (see <see cref="ISiloBatchService"/>). Reads of ranges mastered here are answered
/// from the silo's <see cref="RangeStore"/> under the copy's lock, with the checks the range grain makes; a read that
/// fails any of them (the key is not this master's, the client's ring is newer, the copy is retired or not yet a
/// master, the key is invalid) goes to the range grain, which answers Moved or the error. Writes always go to the range
/// grain: it orders them and waits for the replicas. Holds no data.
/// </summary>
internal sealed class SiloBatchService : GrainService, ISiloBatchService
{
    private readonly IGrainFactory _grains;
    private readonly RangeStore _store;
    private readonly DiMintLimitsOptions _limits;
    private readonly SiloAddress _silo;

    /// <summary>How the grain keys of ranges mastered here end: <c>/</c> and this silo's parsable address.</summary>
    private readonly string _localKeySuffix;

    /// <summary>Range ids, epochs and grain references by grain key: Orleans resolves the interface type by reflection on every GetGrain.</summary>
    private readonly Dictionary<string, (int Id, long Epoch, IRangeGrain Grain)> _ranges = new(StringComparer.Ordinal);

    public SiloBatchService(
        GrainId grainId,
        Silo silo,
        ILoggerFactory loggers,
        IGrainFactory grains,
        RangeStore store,
        IOptions<DiMintLimitsOptions> limits)
        : base(grainId, silo, loggers)
    {
        _grains = grains;
        _store = store;
        _limits = limits.Value;
        _silo = silo.SiloAddress;
        _localKeySuffix = "/" + _silo.ToParsableString();
    }

    public Task<SiloAddress> GetSiloAsync() => Task.FromResult(_silo);

    public Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var results = new RangeBatchResult[batches.Length];
        Task<RangeBatchResult>[]? pending = null;
        for (var i = 0; i < batches.Length; i++)
        {
            var batch = batches[i];
            var (id, epoch, grain) = Range(batch.GrainKey);
            if (batch.WriteKeys.Length == 0 && TryReadHere(id, epoch, batch.ReadKeys, ringVersion) is { } values)
            {
                results[i] = new RangeBatchResult { Reads = new BatchReadResult { Status = RangeStatus.Ok, Values = values } };
                continue;
            }

            (pending ??= new Task<RangeBatchResult>[batches.Length])[i] = batch.RunAsync(grain, ringVersion);
        }

        return pending is null ? Task.FromResult(results) : CompleteAsync(results, pending);
    }

    private static async Task<RangeBatchResult[]> CompleteAsync(RangeBatchResult[] results, Task<RangeBatchResult>[] pending)
    {
        for (var i = 0; i < pending.Length; i++)
        {
            if (pending[i] is { } part)
            {
                results[i] = await part;
            }
        }

        return results;
    }

    /// <summary>
    /// The values of <paramref name="keys"/> read from this silo's master copy of range <paramref name="id"/> at
    /// <paramref name="epoch"/>, or null when the range grain must answer (see the class summary).
    /// </summary>
    private byte[]?[]? TryReadHere(int id, long epoch, string[] keys, long ringVersion)
    {
        if (keys.Length == 0 || !_store.TryGet(id, out var data))
        {
            return null;
        }

        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key) || !DiMintKey.FitsSize(key, _limits.MaxKeyBytes))
            {
                return null;
            }
        }

        return data.TryReadAsMaster(epoch, ringVersion, keys);
    }

    private (int Id, long Epoch, IRangeGrain Grain) Range(string grainKey)
    {
        if (!_ranges.TryGetValue(grainKey, out var range))
        {
            if (_ranges.Count >= 4096)
            {
                // Keys of ranges long gone (splits, failovers): start over rather than grow without bound.
                _ranges.Clear();
            }

            // A key of another silo's master, or one that does not parse, is read through its grain (which answers
            // Moved, or the error).
            var (id, epoch) = grainKey.EndsWith(_localKeySuffix, StringComparison.Ordinal) && RangeGrain.TryParseKey(grainKey, out var parsed)
                ? parsed
                : (-1, -1L);
            range = (id, epoch, _grains.GetGrain<IRangeGrain>(grainKey));
            _ranges[grainKey] = range;
        }

        return range;
    }
}
