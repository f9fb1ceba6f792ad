namespace DiMint.Client;

/// <summary>
/// Ids for this client's writes (<see cref="WriteIds"/>): one per write, kept across its retries, so a master that
/// applied it already does not apply it again; and the lowest still in flight, below which masters may forget them.
/// Thread-safe.
/// </summary>
internal sealed class WriteIdSource
{
    private readonly Lock _lock = new();
    private readonly SortedSet<long> _inFlight = [];
    private long _last;

    /// <summary>Random per client instance: two clients never share ids.</summary>
    public long ClientId { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>A new write's id, in flight until <see cref="Done"/>.</summary>
    public long Start()
    {
        lock (_lock)
        {
            var id = ++_last;
            _inFlight.Add(id);
            return id;
        }
    }

    /// <summary>The write will not be retried any more (it succeeded or failed for good).</summary>
    public void Done(long id)
    {
        lock (_lock)
        {
            _inFlight.Remove(id);
        }
    }

    /// <summary>The ids of writes, as they go with one attempt (with the lowest id in flight now).</summary>
    public WriteIds For(long[] ids)
    {
        lock (_lock)
        {
            return new WriteIds { ClientId = ClientId, Oldest = _inFlight.Count > 0 ? _inFlight.Min : _last + 1, Ids = ids };
        }
    }
}
