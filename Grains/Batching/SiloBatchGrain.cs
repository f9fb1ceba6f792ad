using DiMint.Grains.Placement;
using Orleans.Concurrency;

namespace DiMint.Grains.Batching;

/// <summary>
/// Fans a client's batch out to the range grains of its silo (see <see cref="ISiloBatchGrain"/>). The client sends one
/// message per silo instead of one per range; the calls made here stay inside the silo. Holds no data: a batch that
/// lands after the ranges moved is answered Moved by the range grains themselves.
/// </summary>
[Reentrant]
[SiloPinnedPlacement]
internal sealed class SiloBatchGrain : Grain, ISiloBatchGrain
{
    /// <summary>Grain references by key: Orleans resolves the interface type by reflection on every GetGrain.</summary>
    private readonly Dictionary<string, IRangeGrain> _ranges = new(StringComparer.Ordinal);

    public async Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var parts = new Task<RangeBatchResult>[batches.Length];
        for (var i = 0; i < batches.Length; i++)
        {
            parts[i] = batches[i].RunAsync(Range(batches[i].GrainKey), ringVersion);
        }

        return await Task.WhenAll(parts);
    }

    private IRangeGrain Range(string grainKey)
    {
        if (!_ranges.TryGetValue(grainKey, out var range))
        {
            if (_ranges.Count >= 4096)
            {
                // Keys of ranges long gone (splits, failovers): start over rather than grow without bound.
                _ranges.Clear();
            }

            range = GrainFactory.GetGrain<IRangeGrain>(grainKey);
            _ranges[grainKey] = range;
        }

        return range;
    }
}
