using DiMint.Client.Batching;

namespace DiMint.Client;

public sealed partial class DimintClient
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> and returns the value as stored.</summary>
    /// <returns>The stored value as a read would return it (integers as <see cref="long"/>, lists as <c>List&lt;object?&gt;</c> ...).</returns>
    /// <exception cref="InvalidKeyException">The key is null, empty or not a supported key type.</exception>
    /// <exception cref="UnsupportedValueTypeException">The value holds a type that cannot be stored; nothing was sent.</exception>
    /// <exception cref="LimitExceededException">The key or value is over its limit; nothing was sent.</exception>
    public async Task<object?> SetAsync(object key, object? value, CancellationToken cancellationToken = default)
    {
        var name = NormalizeKey(key);
        var bytes = ValueCodec.Encode(value, _options.MaxValueBytes);
        var id = _writeIds.Start();
        try
        {
            if (Batcher is { } batcher)
            {
                await RouteBatchedAsync(batcher, new BatchOp(BatchOpKind.Set, name, bytes) { WriteId = id }, cancellationToken);
            }
            else
            {
                await RouteAsync(name, (grain, version) => grain.SetAsync(name, bytes, version, _writeIds.For([id])), static r => r.Ring, cancellationToken);
            }
        }
        finally
        {
            _writeIds.Done(id);
        }

        return ValueCodec.Decode(bytes);
    }

    /// <summary>Reads the value under <paramref name="key"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="DiMintKeyNotFoundException">The key is not stored.</exception>
    /// <exception cref="ValueTypeMismatchException">The stored value cannot be read as <typeparamref name="T"/>.</exception>
    public Task<T> GetAsync<T>(object key, CancellationToken cancellationToken = default) =>
        GetAsync<T>(key, _options.ReadPreference, cancellationToken);

    /// <summary>Reads the value under <paramref name="key"/> as <typeparamref name="T"/> from the copy <paramref name="readPreference"/> picks.</summary>
    /// <exception cref="DiMintKeyNotFoundException">The key is not stored.</exception>
    /// <exception cref="ValueTypeMismatchException">The stored value cannot be read as <typeparamref name="T"/>.</exception>
    public async Task<T> GetAsync<T>(object key, ReadPreference readPreference, CancellationToken cancellationToken = default)
    {
        var (found, value) = await TryGetAsync<T>(key, readPreference, cancellationToken);
        return found ? value! : throw new DiMintKeyNotFoundException(NormalizeKey(key));
    }

    /// <summary>Reads the value under <paramref name="key"/> in its stored shape.</summary>
    /// <exception cref="DiMintKeyNotFoundException">The key is not stored.</exception>
    public Task<object?> GetAsync(object key, CancellationToken cancellationToken = default) => GetAsync<object?>(key, cancellationToken);

    /// <summary>Reads the value under <paramref name="key"/>, telling a missing key apart from a stored null.</summary>
    /// <returns><c>(true, value)</c> when stored, <c>(false, default)</c> when not.</returns>
    /// <exception cref="ValueTypeMismatchException">The stored value cannot be read as <typeparamref name="T"/>.</exception>
    public Task<(bool Found, T? Value)> TryGetAsync<T>(object key, CancellationToken cancellationToken = default) =>
        TryGetAsync<T>(key, _options.ReadPreference, cancellationToken);

    /// <summary>Reads the value under <paramref name="key"/> from the copy <paramref name="readPreference"/> picks.</summary>
    /// <returns><c>(true, value)</c> when stored, <c>(false, default)</c> when not.</returns>
    public async Task<(bool Found, T? Value)> TryGetAsync<T>(object key, ReadPreference readPreference, CancellationToken cancellationToken = default)
    {
        var name = NormalizeKey(key);
        if (readPreference != ReadPreference.Replica && Batcher is { } batcher)
        {
            var op = new BatchOp(BatchOpKind.Get, name, value: null);
            await RouteBatchedAsync(batcher, op, cancellationToken);
            return op.Value is { } bytes ? (true, ValueConverter.Convert<T>(ValueCodec.Decode(bytes))) : (false, default);
        }

        var result = await RouteAsync(
            name,
            (grains, index, version) =>
            {
                var replicas = grains.Ring.Ranges[index].Replicas.Length;
                return readPreference == ReadPreference.Replica && replicas > 0
                    ? grains.Replica(index, Random.Shared.Next(replicas)).GetAsync(name, version)
                    : grains.Master(index).GetAsync(name, version);
            },
            static r => r.Ring,
            cancellationToken);
        return result.Status == RangeStatus.Ok
            ? (true, ValueConverter.Convert<T>(ValueCodec.Decode(result.Value)))
            : (false, default);
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>Whether the key was stored.</returns>
    public async Task<bool> DeleteAsync(object key, CancellationToken cancellationToken = default)
    {
        var name = NormalizeKey(key);
        var id = _writeIds.Start();
        try
        {
            var result = await RouteAsync(name, (grain, version) => grain.DeleteAsync(name, version, _writeIds.For([id])), static r => r.Ring, cancellationToken);
            return result.Status == RangeStatus.Ok;
        }
        finally
        {
            _writeIds.Done(id);
        }
    }

    /// <summary>Whether <paramref name="key"/> is stored (a stored null counts).</summary>
    public async Task<bool> ExistsAsync(object key, CancellationToken cancellationToken = default)
    {
        var name = NormalizeKey(key);
        var result = await RouteAsync(name, (grain, version) => grain.ExistsAsync(name, version), static r => r.Ring, cancellationToken);
        return result.Status == RangeStatus.Ok;
    }

    private string NormalizeKey(object key)
    {
        var name = DiMintKey.Normalize(key);
        DiMintKey.CheckSize(name, _options.MaxKeyBytes);
        return name;
    }
}
