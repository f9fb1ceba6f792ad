using System.Collections.Concurrent;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The range grains active on this silo, by grain key, so that the silo's batch service can hand a write to a range
/// grain on the grain's own scheduler (<see cref="RangeGrain.SetManyFromSiloAsync"/>) instead of sending it a message:
/// the same turn-based execution without serializing, addressing and dispatching a local call.
/// </summary>
internal sealed class LocalRanges
{
    private readonly ConcurrentDictionary<string, RangeGrain> _grains = new(StringComparer.Ordinal);

    public void Add(string grainKey, RangeGrain grain) => _grains[grainKey] = grain;

    public void Remove(string grainKey, RangeGrain grain) => _grains.TryRemove(new KeyValuePair<string, RangeGrain>(grainKey, grain));

    public bool TryGet(string grainKey, out RangeGrain grain) => _grains.TryGetValue(grainKey, out grain!);
}
