using System.Collections.Concurrent;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The silo-wide home of range data, keyed by range grain key. Orleans may deactivate a range grain (for instance
/// when the silo holding its directory entry dies); the data stays here and the next activation picks it up.
/// </summary>
internal sealed class RangeStore
{
    private readonly ConcurrentDictionary<string, RangeData> _ranges = new(StringComparer.Ordinal);

    public bool TryGet(string grainKey, out RangeData data) => _ranges.TryGetValue(grainKey, out data!);

    public RangeData GetOrAdd(string grainKey, Func<RangeData> create) => _ranges.GetOrAdd(grainKey, _ => create());

    public void Put(string grainKey, RangeData data) => _ranges[grainKey] = data;

    /// <summary>The live (not retired) ranges on this silo.</summary>
    public List<RangeData> Live()
    {
        var live = new List<RangeData>();
        foreach (var data in _ranges.Values)
        {
            if (data.RetiredBy is null)
            {
                live.Add(data);
            }
        }

        return live;
    }
}
