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

    /// <summary>
    /// The silo address of the Orleans runtime running now in this process (null before the first starts). Written once
    /// per runtime start by <see cref="Hosting.SiloProcessState.Started"/>, before that runtime's grains run; read by any
    /// thread without a lock (a reference, replaced whole).
    /// </summary>
    public SiloAddress? Incarnation { get => Volatile.Read(ref _incarnation); set => Volatile.Write(ref _incarnation, value); }

    private SiloAddress? _incarnation;

    public bool TryGet(int rangeId, out RangeData data) => _ranges.TryGetValue(rangeId, out data!);

    public RangeData GetOrAdd(int rangeId, Func<RangeData> create) => _ranges.GetOrAdd(rangeId, _ =>
    {
        var data = create();
        data.PlacedBy = Incarnation;
        return data;
    });

    public void Put(RangeData data)
    {
        data.PlacedBy = Incarnation;
        _ranges[data.Range.Id] = data;
    }

    public void Remove(int rangeId)
    {
        _ranges.TryRemove(rangeId, out _);
        _lags.TryRemove(rangeId, out _);
    }

    public void ReportReplication(int rangeId, long lag, int inSync) => _lags[rangeId] = (lag, inSync);

    /// <summary>A master's replication lag and replicas in sync, as it last reported them.</summary>
    public (long Lag, int InSync) ReplicationOf(int rangeId) => _lags.TryGetValue(rangeId, out var value) ? value : (0, 0);

    /// <summary>
    /// Drops the copies <paramref name="ring"/> has left behind: of a range it places on none of <paramref name="self"/>
    /// (this process's silo addresses, its earlier incarnations included), when the ring is at a newer epoch than the copy
    /// holds (a deposed master's copy) or an earlier runtime of this process placed the copy (a replica the ring replaced
    /// after that runtime was declared dead). The ring's copies hold every acknowledged write such a copy has: a newer
    /// epoch is promoted from a quorum of the copies the ring named, a replacement replica is copied from the master.
    /// A copy this runtime placed at the ring's epoch stays (a move's target, still being copied), and so does one of a
    /// range the ring does not know (a split or merge being prepared). Answers the ids of the ranges dropped.
    /// </summary>
    public List<int> DropStale(Ring ring, IReadOnlyCollection<SiloAddress> self)
    {
        var dropped = new List<int>();
        foreach (var (id, data) in _ranges)
        {
            if (ring.FindById(id) is not { } range || self.Contains(range.Master) || range.Replicas.Any(self.Contains))
            {
                continue;
            }

            // Under the copy's lock, which a replica applying a batch holds too (see Holds): a copy that a master's batch
            // makes current meanwhile is kept, and one dropped here is never acknowledged into.
            lock (data.Sync)
            {
                if (data.RetiredBy is null
                    && ((data.IsMaster ? data.Epoch : data.SourceEpoch) < range.Epoch || (data.PlacedBy is not null && !data.PlacedBy.Equals(Incarnation)))
                    && _ranges.TryRemove(new KeyValuePair<int, RangeData>(id, data)))
                {
                    _lags.TryRemove(id, out _);
                    dropped.Add(id);
                }
            }
        }

        return dropped;
    }

    /// <summary>
    /// Whether <paramref name="data"/> is the store's copy of its range; the caller holds the copy's lock, so a sweep
    /// (<see cref="DropStale"/>) cannot drop it until the caller lets go.
    /// </summary>
    public bool Holds(RangeData data) => _ranges.TryGetValue(data.Range.Id, out var held) && ReferenceEquals(held, data);

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
