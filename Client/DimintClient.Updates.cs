using DiMint.Client.Batching;

namespace DiMint.Client;

/// <summary>Expiry, counters and conditional writes: updates the range's master works out from the key's current value.</summary>
public sealed partial class DimintClient
{
    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="ttl"/> (counted by the master's
    /// clock from when it applies the write); then the key is gone for every reader. Returns the value as stored.
    /// </summary>
    /// <exception cref="InvalidExpiryException">The expiry is not positive, or longer than <see cref="ValueExpiry.MaxTtl"/>; nothing was sent.</exception>
    public async Task<object?> SetAsync(object key, object? value, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ValueExpiry.CheckTtl(ttl);
        var bytes = ValueCodec.Encode(value, _options.MaxValueBytes);
        await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Set, Value = bytes, Ttl = ttl }, cancellationToken);
        return ValueCodec.Decode(bytes);
    }

    /// <summary>Stores <paramref name="value"/> only if <paramref name="key"/> is not stored (with an expiry when <paramref name="ttl"/> is given).</summary>
    /// <returns>Whether it was stored.</returns>
    public async Task<bool> SetIfNotExistsAsync(object key, object? value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        if (ttl is { } t)
        {
            ValueExpiry.CheckTtl(t);
        }

        var bytes = ValueCodec.Encode(value, _options.MaxValueBytes);
        return (await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Set, Value = bytes, Ttl = ttl, Condition = SetCondition.IfAbsent }, cancellationToken)).Applied;
    }

    /// <summary>Gives <paramref name="key"/> an expiry of <paramref name="ttl"/> from now (replacing any it had).</summary>
    /// <returns>Whether the key is stored (a missing key gets nothing).</returns>
    public async Task<bool> ExpireAsync(object key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ValueExpiry.CheckTtl(ttl);
        return (await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Expire, Ttl = ttl }, cancellationToken)).Applied;
    }

    /// <summary>Takes <paramref name="key"/>'s expiry off, so it stays until deleted.</summary>
    /// <returns>Whether it had one.</returns>
    public async Task<bool> PersistAsync(object key, CancellationToken cancellationToken = default) =>
        (await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Persist }, cancellationToken)).Applied;

    /// <summary>How long <paramref name="key"/> has left by its master's clock, or null when it has no expiry.</summary>
    /// <exception cref="DiMintKeyNotFoundException">The key is not stored.</exception>
    public async Task<TimeSpan?> GetTtlAsync(object key, CancellationToken cancellationToken = default)
    {
        var result = await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Inspect }, cancellationToken);
        if (result.Current is not { } stored)
        {
            throw new DiMintKeyNotFoundException(NormalizeKey(key));
        }

        return ValueExpiry.ExpiresAt(stored) is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, at - result.MasterTimeMs)) : null;
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to the integer stored under <paramref name="key"/> (a missing key counts as 0), keeping
    /// its expiry, atomically at the key's master; however often the client retries it, it adds once.
    /// </summary>
    /// <returns>The integer after the increment.</returns>
    /// <exception cref="ValueTypeMismatchException">The stored value is not an integer; nothing changed.</exception>
    /// <exception cref="IntegerOverflowException">The result would overflow 64 bits; nothing changed.</exception>
    public async Task<long> IncrementAsync(object key, long delta = 1, CancellationToken cancellationToken = default)
    {
        var result = await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Increment, Delta = delta }, cancellationToken);
        return (long)ValueCodec.Decode(result.Current!)!;
    }

    /// <summary>
    /// Reads <paramref name="key"/>'s value and its version, for <see cref="SetIfVersionAsync"/>. The version is a hash of
    /// the value: it changes when the value does, and an expiry change leaves it.
    /// </summary>
    /// <exception cref="DiMintKeyNotFoundException">The key is not stored.</exception>
    public async Task<(T Value, ulong Version)> GetWithVersionAsync<T>(object key, CancellationToken cancellationToken = default)
    {
        var result = await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Inspect }, cancellationToken);
        return result.Current is { } stored
            ? (ValueConverter.Convert<T>(ValueCodec.Decode(stored))!, ValueExpiry.VersionOf(stored))
            : throw new DiMintKeyNotFoundException(NormalizeKey(key));
    }

    /// <summary>
    /// Stores <paramref name="value"/> only if <paramref name="key"/> still holds the value <see cref="GetWithVersionAsync"/>
    /// answered <paramref name="version"/> for (a compare-and-set); the key's expiry, if any, is kept.
    /// </summary>
    /// <returns>Whether it was stored (false: the key changed, or is gone).</returns>
    public async Task<bool> SetIfVersionAsync(object key, object? value, ulong version, CancellationToken cancellationToken = default)
    {
        var bytes = ValueCodec.Encode(value, _options.MaxValueBytes);
        return (await UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Set, Value = bytes, Condition = SetCondition.IfVersion, Version = version, KeepTtl = true }, cancellationToken)).Applied;
    }

    /// <summary>
    /// Sends <paramref name="update"/> to <paramref name="key"/>'s master (routing and retrying as every request does; a
    /// write carries an id, so a retry takes effect once) and answers what it did.
    /// </summary>
    public async Task<UpdateResult> UpdateAsync(object key, KeyUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var name = NormalizeKey(key);
        var writes = update.Kind != KeyUpdateKind.Inspect;
        var id = writes ? _writeIds.Start() : 0;
        try
        {
            if (Batcher is { } batcher)
            {
                // With the other calls to the key's silo, on its data port: a failover reroutes it as fast as a set.
                var op = new BatchOp(BatchOpKind.Update, name, update.Value) { WriteId = id, Update = update };
                await RouteBatchedAsync(batcher, op, cancellationToken);
                return op.UpdateResult!;
            }

            return await RouteAsync(name, (grain, version) => grain.UpdateAsync(name, update, version, writes ? _writeIds.For([id]) : null), static r => r.Ring, cancellationToken);
        }
        finally
        {
            if (writes)
            {
                _writeIds.Done(id);
            }
        }
    }
}
