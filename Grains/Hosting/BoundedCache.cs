namespace DiMint.Grains.Hosting;

/// <summary>
/// A per-silo lookup (grain references and what goes with them, by range) that starts over when it reaches its
/// capacity instead of growing without bound: keys of ranges long gone (splits, merges, failovers) drop out that way.
/// Not thread-safe: each owner uses it from its own turns.
/// </summary>
internal sealed class BoundedCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _entries = new(comparer);

    /// <summary>The value of <paramref name="key"/>, made by <paramref name="create"/> (with <paramref name="state"/>, so a static lambda allocates nothing per call) when missing.</summary>
    public TValue GetOrAdd<TState>(TKey key, Func<TKey, TState, TValue> create, TState state)
    {
        if (!_entries.TryGetValue(key, out var value))
        {
            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }

            value = create(key, state);
            _entries[key] = value;
        }

        return value;
    }
}
