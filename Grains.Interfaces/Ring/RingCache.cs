namespace DiMint;

/// <summary>
/// The newest ring known locally, shared by a silo's range grains or by a client. A refresh asks the overlord;
/// concurrent refreshes share it, and it asks again every <see cref="ShareFor"/> while no call has answered.
/// </summary>
/// <param name="grainFactory">Reaches the overlord.</param>
/// <param name="time">The clock that says how long a refresh has been waiting; the system's by default.</param>
public sealed class RingCache(IGrainFactory grainFactory, TimeProvider? time = null)
{
    /// <summary>
    /// How long a refresh waits for its call before it asks again. A call can hang far longer (Orleans' response timeout,
    /// 30 s by default: the gateway it went through was cut off by a partition, or the overlord's silo was, or paused).
    /// </summary>
    public static readonly TimeSpan ShareFor = TimeSpan.FromSeconds(1);

    /// <summary>The most calls one refresh makes while none answers (<see cref="AskUntilAnsweredAsync"/>).</summary>
    public const int MaxAsks = 4;

    /// <summary>How long the overlord holds a watch (<see cref="WatchAsync"/>) before it answers the ring it has.</summary>
    public static readonly TimeSpan WatchFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a watch is shared. A watch parked at an overlord whose silo was killed is never answered (Orleans fails
    /// it only once it declares the silo dead), and a standby takes the overlord over within a few hundred milliseconds:
    /// callers still waiting then start a new watch, which finds the new overlord, instead of sharing the dead one's for
    /// the whole <see cref="WatchFor"/>. Watches are made only while requests fail or are slow, so the extra calls are few.
    /// </summary>
    public static readonly TimeSpan WatchShareFor = TimeSpan.FromMilliseconds(250);

    /// <summary>How many rings older than the current one the cache keeps, to apply deltas to and to send them from.</summary>
    public const int Remembered = 16;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    // Callers on any thread (grain turns, socket threads, the client's callers): _current is written under _lock and read
    // without it (Volatile); _older, _refresh, _changed, _watch, _watchVersion and _watchStarted are read and
    // written under _lock only; _deltasTaken and _wholeRingsTaken are counted with Interlocked, by Take on any thread.
    private readonly Lock _lock = new();
    private Ring? _current;

    /// <summary>
    /// The rings <see cref="_current"/> replaced, newest last, up to <see cref="Remembered"/>: a delta an answer carries
    /// applies to the version the request named, which may have been replaced while it travelled, and a sender answers
    /// deltas from the versions it still has.
    /// </summary>
    private readonly Queue<Ring> _older = new();
    private long _deltasTaken;
    private long _wholeRingsTaken;
    private Task<Ring>? _refresh;

    /// <summary>Completed (and replaced) when a newer ring is offered; waited on by <see cref="WaitForNewerAsync"/>.</summary>
    private TaskCompletionSource? _changed;

    /// <summary>A watch of the overlord shared by this cache's callers (<see cref="WatchAsync"/>), and the version it waits to pass.</summary>
    private Task<Ring>? _watch;
    private long _watchVersion;
    private long _watchStarted;

    /// <summary>The newest ring known, or null before the first refresh.</summary>
    public Ring? Current => Volatile.Read(ref _current);

    /// <summary>Newer rings this cache took as a delta (<see cref="Take"/>).</summary>
    public long DeltasTaken => Interlocked.Read(ref _deltasTaken);

    /// <summary>Newer rings this cache took whole (<see cref="Take"/>).</summary>
    public long WholeRingsTaken => Interlocked.Read(ref _wholeRingsTaken);

    /// <summary>
    /// A second way to watch the ring besides the overlord (a client's: through a silo's data port), or null: it answers a
    /// ring (or null), and a watch takes whichever way answers first. A client's calls to the overlord go through its
    /// Orleans gateway, and a gateway that paused or was cut off answers nothing until Orleans declares it dead. Set once,
    /// by the cache's owner before it shares the cache (a client when it is made); read by watches on any thread.
    /// </summary>
    public Func<long, Task<RingUpdate?>?>? WatchElsewhere { get; set; }

    /// <summary>Keeps <paramref name="ring"/> if it is newer than the cached one.</summary>
    public void Offer(Ring ring)
    {
        lock (_lock)
        {
            if (_current is null || ring.Version > _current.Version)
            {
                if (_current is not null)
                {
                    if (_older.Count == Remembered)
                    {
                        _older.Dequeue();
                    }

                    _older.Enqueue(_current);
                }

                Volatile.Write(ref _current, ring);
                _changed?.TrySetResult();
                _changed = null;
            }
        }
    }

    /// <summary>The ring of <paramref name="version"/> if the cache has it (the current one or a recent one), else null.</summary>
    public Ring? Known(long version)
    {
        lock (_lock)
        {
            if (_current?.Version == version)
            {
                return _current;
            }

            foreach (var ring in _older)
            {
                if (ring.Version == version)
                {
                    return ring;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// What to answer someone who holds the ring of <paramref name="knownVersion"/> and asks for <paramref name="ring"/>:
    /// a delta when this cache still has that version, else the whole ring.
    /// </summary>
    public RingUpdate UpdateFor(Ring ring, long knownVersion) => RingUpdate.Between(Known(knownVersion), ring);

    /// <summary>
    /// Applies <paramref name="update"/> and offers the ring it makes; the ring then cached (which may be newer), or null
    /// when the update is a delta from a version this cache no longer has, or one that does not apply to the ring this
    /// cache holds at that version (the caller then asks the overlord: a ring update never fails a request).
    /// </summary>
    public Ring? Take(RingUpdate update)
    {
        if (Current is { } current && current.Version >= update.Version)
        {
            return current;
        }

        if (update.Whole is { } whole)
        {
            Offer(whole);
            Interlocked.Increment(ref _wholeRingsTaken);
        }
        else if (Known(update.BaseVersion) is { } from && update.Delta is { } delta)
        {
            Ring applied;
            try
            {
                applied = RingCodec.ApplyDelta(from, delta);
            }
            catch (FormatException)
            {
                return null;
            }

            Offer(applied);
            Interlocked.Increment(ref _deltasTaken);
        }
        else
        {
            return null;
        }

        return Current;
    }

    /// <summary>
    /// <see cref="Take"/>, and when the update is a delta from a version this cache no longer has, a refresh from the
    /// overlord instead.
    /// </summary>
    public async Task<Ring> TakeAsync(RingUpdate update) => Take(update) ?? await RefreshAsync().ConfigureAwait(false);

    /// <summary>
    /// The cached ring as soon as one newer than <paramref name="version"/> is offered, or after <paramref name="wait"/>
    /// whatever it is then: how the overlord answers a watch the moment it publishes.
    /// </summary>
    public async Task<Ring?> WaitForNewerAsync(long version, TimeSpan wait)
    {
        Task changed;
        lock (_lock)
        {
            if (_current is { } current && current.Version > version)
            {
                return current;
            }

            changed = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        await changed.WaitAsync(wait, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return Current;
    }

    /// <summary>
    /// A ring newer than <paramref name="version"/> from the overlord, the moment it publishes one: the call waits there
    /// (up to <see cref="WatchFor"/>, then answers the ring it has). Callers waiting to pass the same version share one call
    /// for <see cref="WatchShareFor"/>; each bounds its own wait with WaitAsync.
    /// </summary>
    public Task<Ring> WatchAsync(long version)
    {
        lock (_lock)
        {
            if (_current is { } current && current.Version > version)
            {
                return Task.FromResult(current);
            }

            if (_watch is { IsCompleted: false } pending && _watchVersion == version && _time.GetElapsedTime(_watchStarted) < WatchShareFor)
            {
                return pending;
            }

            _watchVersion = version;
            _watchStarted = _time.GetTimestamp();
            return _watch = WatchAnywhereAsync(version);
        }
    }

    /// <summary>Watches through the overlord and, when there is one, the other way: the first answer counts, or the second when the first failed.</summary>
    private async Task<Ring> WatchAnywhereAsync(long version)
    {
        var viaOverlord = FetchAsync(overlord => overlord.WatchRingAsync(version, WatchFor));
        if (WatchElsewhere?.Invoke(version) is not { } elsewhere)
        {
            return await viaOverlord.ConfigureAwait(false);
        }

        var viaElsewhere = OfferAsync(elsewhere);
        var first = await Task.WhenAny(viaOverlord, viaElsewhere).ConfigureAwait(false);
        if (first.IsCompletedSuccessfully)
        {
            return Current!;
        }

        _ = first.Exception;
        return await (first == viaOverlord ? viaElsewhere : viaOverlord).ConfigureAwait(false);
    }

    private async Task<Ring> OfferAsync(Task<RingUpdate?> answer)
    {
        if (await answer.ConfigureAwait(false) is { } update && Take(update) is null)
        {
            // A delta from a version this cache does not have: ask the overlord (from the version it does have).
            await RefreshAsync().ConfigureAwait(false);
        }

        return Current ?? throw new InvalidOperationException("No ring is known yet.");
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

    /// <summary>Asks the overlord for its ring now, whatever the cache holds; callers meanwhile share the asking.</summary>
    public Task<Ring> RefreshAsync()
    {
        lock (_lock)
        {
            if (_refresh is { IsCompleted: false } pending)
            {
                return pending;
            }

            return _refresh = AskUntilAnsweredAsync();
        }
    }

    /// <summary>
    /// Asks the overlord for its ring, and again every <see cref="ShareFor"/> while no call has answered, up to
    /// <see cref="MaxAsks"/> calls; the first answer counts. A call can hang far longer than the overlord takes: it went to
    /// a silo that paused or went away (this silo had not yet heard that a new overlord took over), and Orleans fails it
    /// only once it declares that silo dead, while the next call goes where the overlord is now. A promoted master's
    /// activation waited 8.6 s that way for the ring, on the paused silo of the overlord it replaced.
    /// </summary>
    private async Task<Ring> AskUntilAnsweredAsync()
    {
        var calls = new List<Task<Ring>> { FetchAsync(GetRingSince) };
        var asked = 1;
        var waited = Task.Delay(ShareFor, _time);
        while (true)
        {
            var first = await Task.WhenAny([.. calls, waited]).ConfigureAwait(false);
            if (first == waited)
            {
                // The next wait starts before the next call is made, so whoever sees that call (a test's fake clock) can
                // advance the clock past the wait.
                waited = Task.Delay(ShareFor, _time);
                if (asked < MaxAsks)
                {
                    asked++;
                    calls.Add(FetchAsync(GetRingSince));
                }

                continue;
            }

            // An answer, or a failure with no other call left to wait for, ends the refresh; the calls left are abandoned
            // (their failures observed, a late answer offered like any).
            var call = (Task<Ring>)first;
            calls.Remove(call);
            if (call.IsCompletedSuccessfully || calls.Count == 0)
            {
                foreach (var left in calls)
                {
                    _ = left.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                }

                return await call.ConfigureAwait(false);
            }

            _ = call.Exception;
        }
    }

    /// <summary>The overlord's ring, as a delta from the one cached when the overlord still has that version.</summary>
    private Task<RingUpdate> GetRingSince(IOverlordGrain overlord) => overlord.GetRingSinceAsync(Current?.Version ?? 0);

    private async Task<Ring> FetchAsync(Func<IOverlordGrain, Task<RingUpdate>> ask)
    {
        // Shared by callers on different grain schedulers: finish on the thread pool, not on the first caller's.
        var overlord = grainFactory.GetGrain<IOverlordGrain>(GrainKeys.Overlord);
        var update = await ask(overlord).ConfigureAwait(false);
        if (Take(update) is null)
        {
            // A delta from a version this cache does not have (replaced by more than Remembered newer ones, or a watch for
            // a version it never held): ask again from the version it holds, which the answer then applies to.
            Take(await GetRingSince(overlord).ConfigureAwait(false));
        }

        return Current!;
    }
}
