using System.Collections.Concurrent;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The silo-wide home of range data, one copy per range id (a silo holds a range as master or as replica, never
/// both). Orleans may deactivate the grains that serve a range; the data stays here and the next activation
/// (or the promoted master) picks it up.
/// </summary>
internal sealed class RangeStore
{
    private readonly ConcurrentDictionary<int, RangeData> _ranges = new();

    /// <summary>Lag per master range, published by the masters for status reports.</summary>
    private readonly ConcurrentDictionary<int, (long Lag, int InSync)> _lags = new();

    public bool TryGet(int rangeId, out RangeData data) => _ranges.TryGetValue(rangeId, out data!);

    public RangeData GetOrAdd(int rangeId, Func<RangeData> create) => _ranges.GetOrAdd(rangeId, _ => create());

    public void Put(RangeData data) => _ranges[data.Range.Id] = data;

    public void Remove(int rangeId)
    {
        _ranges.TryRemove(rangeId, out _);
        _lags.TryRemove(rangeId, out _);
    }

    public void ReportReplication(int rangeId, long lag, int inSync) => _lags[rangeId] = (lag, inSync);

    /// <summary>A master's replication lag and replicas in sync, as it last reported them.</summary>
    public (long Lag, int InSync) ReplicationOf(int rangeId) => _lags.TryGetValue(rangeId, out var value) ? value : (0, 0);

    /// <summary>The live (not retired) copies on this silo.</summary>
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
