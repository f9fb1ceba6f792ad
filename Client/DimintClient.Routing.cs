using System.Diagnostics;
using System.Runtime.ExceptionServices;
using DiMint.Client.Batching;

namespace DiMint.Client;

public sealed partial class DimintClient
{
    /// <summary>
    /// The longest pause between attempts. A pause ends early when the overlord publishes a newer ring (each one watches
    /// the ring, one shared call), so a request whose master died goes to the promoted one as soon as it is named.
    /// </summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long a call may wait before the client watches whether its range changes hands (a call's 99.9th percentile
    /// is tens of milliseconds even on a saturated 2-core machine).
    /// </summary>
    private static readonly TimeSpan SlowCall = TimeSpan.FromMilliseconds(100);

    private RingGrains? _ringGrains;
    private AutoBatcher? _batcher;

    internal IGrainFactory GrainFactory => _grains;

    internal Ring? CurrentRing => _ring.Current;

    /// <summary>Newer rings this client took as deltas, and whole (see <see cref="RingUpdate"/>).</summary>
    internal (long Deltas, long Whole) RingsTaken => (_ring.DeltasTaken, _ring.WholeRingsTaken);

    /// <summary>The batcher single-key operations go through, or null when <see cref="DimintClientOptions.AutoBatching"/> is off.</summary>
    private AutoBatcher? Batcher =>
        !_options.AutoBatching ? null : _batcher ?? Interlocked.CompareExchange(ref _batcher, new AutoBatcher(this, _options), null) ?? _batcher;

    /// <summary>Grain references for <paramref name="ring"/>'s ranges (one set per ring, replaced when the ring is).</summary>
    internal RingGrains GrainsFor(Ring ring)
    {
        var grains = Volatile.Read(ref _ringGrains);
        if (grains is null || !ReferenceEquals(grains.Ring, ring))
        {
            grains = new RingGrains(ring, _grains);
            Volatile.Write(ref _ringGrains, grains);
        }

        return grains;
    }

    /// <summary>
    /// Sends one request to the range owning <paramref name="key"/>. A Moved answer brings a newer ring, which is
    /// cached before routing again; a failed call (silo gone, timeout, too few replicas) refreshes the ring after a short
    /// pause, until <see cref="DimintClientOptions.RequestTimeout"/>. Every DiMint request is safe to repeat: sets and
    /// deletes are idempotent.
    /// </summary>
    private Task<TResult> RouteAsync<TResult>(
        string key,
        Func<IRangeGrain, long, Task<TResult>> call,
        Func<TResult, RingUpdate?> movedRing,
        CancellationToken cancellationToken) =>
        RouteAsync(key, (grains, index, version) => call(grains.Master(index), version), movedRing, cancellationToken);

    private async Task<TResult> RouteAsync<TResult>(
        string key,
        Func<RingGrains, int, long, Task<TResult>> call,
        Func<TResult, RingUpdate?> movedRing,
        CancellationToken cancellationToken)
    {
        var hash = KeyHash.Of(key);
        var started = Stopwatch.GetTimestamp();
        Exception? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ring = _ring.Current ?? await _ring.RefreshAsync();
            try
            {
                var index = ring.IndexOf(hash);
                var result = await AwaitAttemptAsync(
                    call(GrainsFor(ring), index, ring.Version),
                    (Hash: hash, Range: ring.Ranges[index]),
                    static (now, sent) => SameMaster(now.Find(sent.Hash), sent.Range),
                    onSlow: null,
                    cancellationToken);
                if (movedRing(result) is not { } newer)
                {
                    return result;
                }

                await _ring.TakeAsync(newer);
                if (newer.Version <= ring.Version)
                {
                    // Told "moved" by a ring no newer than ours: the owner is changing hands; ask the overlord.
                    await AwaitRingChangeAsync(ring.Version, attempt, cancellationToken);
                }
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                lastError = ex;
                if (Stopwatch.GetElapsedTime(started) >= _options.RequestTimeout)
                {
                    break;
                }

                await AwaitRingChangeAsync(ring.Version, attempt, cancellationToken);
            }

            if (Stopwatch.GetElapsedTime(started) >= _options.RequestTimeout)
            {
                break;
            }
        }

        throw Unserved(key, lastError);
    }

    /// <summary>
    /// <see cref="RouteAsync{TResult}(string, Func{RingGrains, int, long, Task{TResult}}, Func{TResult, RingUpdate?}, CancellationToken)"/>
    /// for an operation that travels in an automatic batch: each attempt joins the batch for its range's silo, and the
    /// outcome the batch gives this operation is handled exactly as the answer to a call of its own would be.
    /// </summary>
    private async Task RouteBatchedAsync(AutoBatcher batcher, BatchOp op, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Exception? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ring = _ring.Current ?? await _ring.RefreshAsync();
            var pending = batcher.SendAsync(op, ring);
            BatchOutcome outcome;

            // Cancellation ends the operation's wait directly: Task.WaitAsync over the awaitable cost a thread-pool hop
            // per call, a sixth of the latency of a read at low load.
            using (cancellationToken.UnsafeRegister(static o => ((BatchOp)o!).Cancel(), op))
            {
                outcome = await pending;
            }

            switch (outcome)
            {
                case BatchOutcome.Done:
                    return;
                case BatchOutcome.Cancelled:
                    cancellationToken.ThrowIfCancellationRequested();
                    break;
                case BatchOutcome.Moved:
                    await _ring.TakeAsync(op.MovedTo!);
                    if (op.MovedTo!.Version <= op.SentRingVersion)
                    {
                        await AwaitRingChangeAsync(op.SentRingVersion, attempt, cancellationToken);
                    }

                    break;
                case BatchOutcome.Failed when !IsTransient(op.Error!):
                    ExceptionDispatchInfo.Throw(op.Error!);
                    break;
                case BatchOutcome.Failed:
                    lastError = op.Error;
                    if (Stopwatch.GetElapsedTime(started) >= _options.RequestTimeout)
                    {
                        throw Unserved(op.Key, lastError, shared: true);
                    }

                    await AwaitRingChangeAsync(op.SentRingVersion, attempt, cancellationToken);
                    break;
            }

            // Rerouted and Alone go again at once.
            if (Stopwatch.GetElapsedTime(started) >= _options.RequestTimeout)
            {
                throw Unserved(op.Key, lastError, shared: true);
            }
        }
    }

    /// <summary>
    /// The error a request that ran out of time fails with: too few replicas, or a range that cannot serve, if that was
    /// the last failure, else a routing error. A failure <paramref name="shared"/> by the callers of one batch is copied,
    /// not thrown by each.
    /// </summary>
    private DiMintException Unserved(string key, Exception? lastError, bool shared = false) => lastError switch
    {
        NotEnoughReplicasException e when shared => new NotEnoughReplicasException(e.RangeId, e.Required, e.Available),
        NotEnoughReplicasException e => e,
        RangeUnavailableException e when shared => new RangeUnavailableException(e.RangeId, e.Reason),
        RangeUnavailableException e => e,
        _ => new RoutingException($"Key '{key}' could not be served within {_options.RequestTimeout.TotalSeconds:0.#} s.", 0, lastError),
    };

    /// <summary>
    /// Waits for one attempt, at most <see cref="DimintClientOptions.AttemptTimeout"/>. A call that is slow to answer
    /// (<see cref="SlowCall"/>) may have gone to a silo that just died: from then on the client also watches the ring (one
    /// shared watch of the overlord), and gives the attempt up the moment a newer ring gives the range a new master
    /// (<paramref name="stillServed"/> says no), so the retry goes to the promoted one at once. <paramref name="onSlow"/>
    /// runs when the call turns slow.
    /// </summary>
    internal async Task<TResult> AwaitAttemptAsync<TResult, TState>(
        Task<TResult> call,
        TState state,
        Func<Ring, TState, bool> stillServed,
        Action<TState>? onSlow,
        CancellationToken cancellationToken)
    {
        if (call.IsCompleted)
        {
            return await call.ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call.WaitAsync(SlowCall < _options.AttemptTimeout ? SlowCall : _options.AttemptTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            onSlow?.Invoke(state);
        }

        while (true)
        {
            var left = _options.AttemptTimeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No answer within {_options.AttemptTimeout.TotalSeconds:0.#} s.");
            }

            // A ring this client learned meanwhile (another request's watch, a Moved answer) may already name the new
            // master: watching for a ring newer than that one would wait out the whole watch for nothing.
            var known = _ring.Current;
            if (known is not null && !stillServed(known, state))
            {
                throw new TimeoutException("The key's range got a new master while the call was waiting.");
            }

            // A watch that hangs (its gateway cut off) is asked again after a while: RingCache starts a new call then.
            var watch = _ring.WatchAsync(known?.Version ?? 0);
            var bound = RingCache.WatchFor + SlowCall;
            var first = await Task.WhenAny(call, watch, Task.Delay(left < bound ? left : bound, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first == call)
            {
                return await call.ConfigureAwait(false);
            }

            if (first != watch)
            {
                continue;
            }

            if (!watch.IsCompletedSuccessfully)
            {
                // The overlord did not answer: keep waiting for the call a while before watching again.
                _ = watch.Exception;
                await Task.WhenAny(call, Task.Delay(SlowCall, cancellationToken)).ConfigureAwait(false);
            }
            else if (!stillServed(watch.Result, state))
            {
                throw new TimeoutException("The key's range got a new master while the call was waiting.");
            }
        }
    }

    private static bool SameMaster(RangeInfo now, RangeInfo sent) =>
        now.Id == sent.Id && now.Epoch == sent.Epoch && now.Master.Equals(sent.Master);

    /// <summary>
    /// Before another attempt of a request that failed or was told "moved" with the ring at <paramref name="version"/>:
    /// waits for the overlord to publish a newer ring (a promotion, a move ending), at most the retry delay of
    /// <paramref name="attempt"/>, so a request whose master died goes to the promoted one the moment the ring names it
    /// rather than at the next poll. With the overlord unreachable, it waits out the delay.
    /// </summary>
    private async Task AwaitRingChangeAsync(long version, int attempt, CancellationToken cancellationToken)
    {
        var delay = RetryDelayOf(attempt);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _ring.WatchAsync(version).WaitAsync(delay, cancellationToken);
            return;
        }
        catch (TimeoutException)
        {
            // No newer ring within the delay: go again with the ring we have.
            return;
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // The overlord did not answer: wait out the rest of the delay, as without a watch.
        }

        var left = delay - Stopwatch.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken);
        }
    }

    /// <summary>The pause before attempt <paramref name="attempt"/> + 1: <see cref="DimintClientOptions.RetryDelay"/> doubling up to <see cref="MaxRetryDelay"/>.</summary>
    private TimeSpan RetryDelayOf(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _options.RetryDelay.Ticks << Math.Min(attempt - 1, 10)));

    private async Task TryRefreshRingAsync(TimeSpan? bound = null)
    {
        try
        {
            await _ring.RefreshAsync().WaitAsync(bound ?? _options.AttemptTimeout);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // The next attempt routes with the ring we have and tries again.
        }
    }

    /// <summary>Failures worth another attempt: the silo, the message or the connection, not the request.</summary>
    internal static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException
            or NotEnoughReplicasException or RangeUnavailableException
        || (ex is OrleansException && ex is not DiMintException);
}
