namespace DiMint.Client;

public sealed partial class DimintClient
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sends one request to the range owning <paramref name="key"/>. A Moved answer brings a newer ring, which is
    /// cached before routing again; a failed call (silo gone, timeout) refreshes the ring after a short pause.
    /// Every DiMint request is safe to repeat: sets and deletes are idempotent.
    /// </summary>
    private async Task<TResult> RouteAsync<TResult>(
        string key,
        Func<IRangeGrain, long, Task<TResult>> call,
        Func<TResult, Ring?> movedRing,
        CancellationToken cancellationToken)
    {
        var hash = KeyHash.Of(key);
        Exception? lastError = null;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ring = _ring.Current ?? await _ring.RefreshAsync();
            var grain = _grains.GetGrain<IRangeGrain>(ring.Find(hash).GrainKey);
            try
            {
                var result = await call(grain, ring.Version).WaitAsync(cancellationToken);
                if (movedRing(result) is not { } newer)
                {
                    return result;
                }

                _ring.Offer(newer);
                lastError = null;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                lastError = ex;
                await PauseAsync(attempt, cancellationToken);
                await TryRefreshRingAsync();
            }
        }

        throw new RoutingException($"Key '{key}' could not be served after {_options.MaxAttempts} attempts.", _options.MaxAttempts, lastError);
    }

    private async Task PauseAsync(int attempt, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _options.RetryDelay.Ticks << Math.Min(attempt - 1, 10)));
        await Task.Delay(delay, cancellationToken);
    }

    private async Task TryRefreshRingAsync()
    {
        try
        {
            await _ring.RefreshAsync();
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // The next attempt routes with the ring we have and tries again.
        }
    }

    /// <summary>Failures worth another attempt: the silo, the message or the connection, not the request.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException
        || (ex is OrleansException && ex is not DiMintException);
}
