namespace DiMint;

/// <summary>
/// The newest ring known locally, shared by a silo's range grains or by a client. A refresh asks the overlord;
/// concurrent refreshes share one call, unless it has been waiting for longer than <see cref="ShareFor"/>.
/// </summary>
/// <param name="grainFactory">Reaches the overlord.</param>
/// <param name="time">The clock that says how long a refresh has been waiting; the system's by default.</param>
public sealed class RingCache(IGrainFactory grainFactory, TimeProvider? time = null)
{
    /// <summary>
    /// How long a refresh is shared. A call can hang far longer (Orleans' response timeout, 30 s by default: the
    /// gateway it went through was cut off by a partition, or the overlord's silo was): later callers then ask again
    /// rather than wait with it.
    /// </summary>
    public static readonly TimeSpan ShareFor = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    // Callers on any thread (grain turns, socket threads, the client's callers): _current is written under _lock and read
    // without it (Volatile); _refresh and _refreshStarted are read and written under _lock only.
    private readonly Lock _lock = new();
    private Ring? _current;
    private Task<Ring>? _refresh;
    private long _refreshStarted;

    /// <summary>The newest ring known, or null before the first refresh.</summary>
    public Ring? Current => Volatile.Read(ref _current);

    /// <summary>Keeps <paramref name="ring"/> if it is newer than the cached one.</summary>
    public void Offer(Ring ring)
    {
        lock (_lock)
        {
            if (_current is null || ring.Version > _current.Version)
            {
                Volatile.Write(ref _current, ring);
            }
        }
    }

    /// <summary>A ring at least as new as <paramref name="minVersion"/>.</summary>
    /// <exception cref="RingVersionException">The overlord has no ring that new.</exception>
    public async Task<Ring> GetAsync(long minVersion)
    {
        var current = Current;
        if (current is not null && current.Version >= minVersion)
        {
            return current;
        }

        var ring = await RefreshAsync();
        if (ring.Version < minVersion)
        {
            // A shared refresh may have started before the overlord published the version asked for: ask once more,
            // and have it read the stored ring (an overlord that was cut off may not know what another one published).
            Offer(await grainFactory.GetGrain<IOverlordGrain>(GrainKeys.Overlord).ReloadRingAsync());
            ring = Current!;
            if (ring.Version < minVersion)
            {
                throw new RingVersionException(minVersion, ring.Version);
            }
        }

        return ring;
    }

    /// <summary>Asks the overlord for its ring now, whatever the cache holds.</summary>
    public Task<Ring> RefreshAsync()
    {
        lock (_lock)
        {
            if (_refresh is { IsCompleted: false } pending && _time.GetElapsedTime(_refreshStarted) < ShareFor)
            {
                return pending;
            }

            _refreshStarted = _time.GetTimestamp();
            return _refresh = FetchAsync();
        }
    }

    private async Task<Ring> FetchAsync()
    {
        // Shared by callers on different grain schedulers: finish on the thread pool, not on the first caller's.
        var ring = await grainFactory.GetGrain<IOverlordGrain>(GrainKeys.Overlord).GetRingAsync().ConfigureAwait(false);
        Offer(ring);
        return Current!;
    }
}
