namespace DiMint.Client;

public sealed partial class DimintClient
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long a call may wait before the client checks whether its range changed hands.</summary>
    private static readonly TimeSpan SlowCall = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sends one request to the range owning <paramref name="key"/>. A Moved answer brings a newer ring, which is
    /// cached before routing again; a failed call (silo gone, timeout, too few replicas) refreshes the ring after a short
    /// pause, until <see cref="DimintClientOptions.RequestTimeout"/>. Every DiMint request is safe to repeat: sets and
    /// deletes are idempotent.
    /// </summary>
    private Task<TResult> RouteAsync<TResult>(
        string key,
        Func<IRangeGrain, long, Task<TResult>> call,
        Func<TResult, Ring?> movedRing,
        CancellationToken cancellationToken) =>
        RouteAsync(key, (range, version) => call(_grains.GetGrain<IRangeGrain>(range.GrainKey), version), movedRing, cancellationToken);

    private async Task<TResult> RouteAsync<TResult>(
        string key,
        Func<RangeInfo, long, Task<TResult>> call,
        Func<TResult, Ring?> movedRing,
        CancellationToken cancellationToken)
    {
        var hash = KeyHash.Of(key);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ring = _ring.Current ?? await _ring.RefreshAsync();
            try
            {
                var range = ring.Find(hash);
                var result = await AwaitAttemptAsync(call(range, ring.Version), hash, range.GrainKey, cancellationToken);
                if (movedRing(result) is not { } newer)
                {
                    return result;
                }

                _ring.Offer(newer);
                if (newer.Version <= ring.Version)
                {
                    // Told "moved" by a ring no newer than ours: the owner is changing hands; ask the overlord.
                    await PauseAsync(attempt, cancellationToken);
                    await TryRefreshRingAsync();
                }
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                lastError = ex;
                if (clock.Elapsed >= _options.RequestTimeout)
                {
                    break;
                }

                await PauseAsync(attempt, cancellationToken);
                await TryRefreshRingAsync();
            }

            if (clock.Elapsed >= _options.RequestTimeout)
            {
                break;
            }
        }

        throw (DiMintException?)(lastError as NotEnoughReplicasException)
            ?? new RoutingException($"Key '{key}' could not be served within {_options.RequestTimeout.TotalSeconds:0.#} s.", 0, lastError);
    }

    /// <summary>
    /// Waits for one attempt, at most <see cref="DimintClientOptions.AttemptTimeout"/>. A call that is slow to answer
    /// may have gone to a silo that just died: every second the client asks for the ring (one shared call), and gives the
    /// attempt up as soon as the key's range has a new master, so the retry goes to the promoted one at once.
    /// </summary>
    private async Task<TResult> AwaitAttemptAsync<TResult>(Task<TResult> call, ulong hash, string grainKey, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var left = _options.AttemptTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No answer within {_options.AttemptTimeout.TotalSeconds:0.#} s.");
            }

            try
            {
                return await call.WaitAsync(left < SlowCall ? left : SlowCall, cancellationToken);
            }
            catch (TimeoutException) when (!call.IsCompleted)
            {
                await TryRefreshRingAsync(SlowCall);
                if (_ring.Current is { } ring && ring.Find(hash).GrainKey != grainKey)
                {
                    throw new TimeoutException("The key's range got a new master while the call was waiting.");
                }
            }
        }
    }

    private async Task PauseAsync(int attempt, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _options.RetryDelay.Ticks << Math.Min(attempt - 1, 10)));
        await Task.Delay(delay, cancellationToken);
    }

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
    private static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException
            or NotEnoughReplicasException
        || (ex is OrleansException && ex is not DiMintException);
}
