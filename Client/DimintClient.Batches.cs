namespace DiMint.Client;

public sealed partial class DimintClient
{
    /// <summary>
    /// Reads many keys, one grain call per range holding some of them (in parallel).
    /// </summary>
    /// <returns>The stored keys with their values, keyed by normalized key; missing keys are absent.</returns>
    public async Task<IReadOnlyDictionary<string, T?>> GetManyAsync<T>(IEnumerable<object> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var names = keys.Select(NormalizeKey).Distinct(StringComparer.Ordinal).ToArray();
        var found = new Dictionary<string, T?>(names.Length, StringComparer.Ordinal);
        await ForEachRangeAsync(
            names,
            static _ => 0,
            async (grain, batch, version) =>
            {
                var keysOfBatch = batch.Select(i => names[i]).ToArray();
                var result = await grain.GetManyAsync(keysOfBatch, version);
                if (result.Status == RangeStatus.Ok)
                {
                    lock (found)
                    {
                        for (var i = 0; i < keysOfBatch.Length; i++)
                        {
                            if (result.Values![i] is { } bytes)
                            {
                                found[keysOfBatch[i]] = ValueConverter.Convert<T>(ValueCodec.Decode(bytes));
                            }
                        }
                    }
                }

                return result.Ring;
            },
            cancellationToken);
        return found;
    }

    /// <summary>Reads many keys in their stored shapes. See <see cref="GetManyAsync{T}"/>.</summary>
    public Task<IReadOnlyDictionary<string, object?>> GetManyAsync(IEnumerable<object> keys, CancellationToken cancellationToken = default) =>
        GetManyAsync<object?>(keys, cancellationToken);

    /// <summary>
    /// Stores many entries, one grain call per range (batches larger than <see cref="DimintClientOptions.MaxBatchBytes"/>
    /// are cut), in parallel. Every entry is checked before anything is sent. When the same key appears twice, the
    /// last value wins.
    /// </summary>
    /// <exception cref="UnsupportedValueTypeException">A value cannot be stored; nothing was sent.</exception>
    /// <exception cref="LimitExceededException">A key or value is over its limit; nothing was sent.</exception>
    public async Task SetManyAsync<TKey, TValue>(IEnumerable<KeyValuePair<TKey, TValue>> entries, CancellationToken cancellationToken = default)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(entries);
        var latest = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            latest[NormalizeKey(key)] = ValueCodec.Encode(value, _options.MaxValueBytes);
        }

        var names = latest.Keys.ToArray();
        var values = names.Select(n => latest[n]).ToArray();
        var ids = names.Select(_ => _writeIds.Start()).ToArray();
        try
        {
            await ForEachRangeAsync(
                names,
                i => values[i].Length + names[i].Length,
                async (grain, batch, version) =>
                {
                    var result = await grain.SetManyAsync(
                        batch.Select(i => names[i]).ToArray(), batch.Select(i => values[i]).ToArray(), version, _writeIds.For([.. batch.Select(i => ids[i])]));
                    return result.Ring;
                },
                cancellationToken);
        }
        finally
        {
            foreach (var id in ids)
            {
                _writeIds.Done(id);
            }
        }
    }

    /// <summary>
    /// Groups keys (by index) by the range owning them and runs <paramref name="call"/> per group in parallel; groups
    /// answered Moved are routed again with the newer ring until all are done or the attempts run out.
    /// </summary>
    private async Task ForEachRangeAsync(
        string[] keys,
        Func<int, long> sizeOf,
        Func<IRangeGrain, List<int>, long, Task<RingUpdate?>> call,
        CancellationToken cancellationToken)
    {
        var pending = Enumerable.Range(0, keys.Length).ToList();
        var hashes = keys.Select(KeyHash.Of).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? lastError = null;
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            if (clock.Elapsed >= _options.RequestTimeout)
            {
                throw lastError as NotEnoughReplicasException ?? (DiMintException?)(lastError as RangeUnavailableException)
                    ?? new RoutingException($"{pending.Count} keys could not be served within {_options.RequestTimeout.TotalSeconds:0.#} s.", attempt - 1, lastError);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var ring = _ring.Current ?? await _ring.RefreshAsync();
            var grains = GrainsFor(ring);
            var batches = new List<(IRangeGrain Range, List<int> Items)>();
            foreach (var group in pending.GroupBy(i => ring.IndexOf(hashes[i])))
            {
                var range = grains.Master(group.Key);
                var batch = new List<int>();
                long bytes = 0;
                foreach (var i in group)
                {
                    var size = sizeOf(i);
                    if (batch.Count > 0 && bytes + size > _options.MaxBatchBytes)
                    {
                        batches.Add((range, batch));
                        batch = [];
                        bytes = 0;
                    }

                    batch.Add(i);
                    bytes += size;
                }

                batches.Add((range, batch));
            }

            var outcomes = await Task.WhenAll(batches.Select(async b =>
            {
                try
                {
                    var moved = await call(b.Range, b.Items, ring.Version).WaitAsync(_options.AttemptTimeout, cancellationToken);
                    return (b.Items, Moved: moved, Error: (Exception?)null);
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    return (b.Items, Moved: (RingUpdate?)null, Error: ex);
                }
            }));

            pending = [];
            var failed = false;
            foreach (var (items, moved, error) in outcomes)
            {
                if (moved is not null)
                {
                    await _ring.TakeAsync(moved);
                    pending.AddRange(items);
                    failed |= moved.Version <= ring.Version;
                }
                else if (error is not null)
                {
                    lastError = error;
                    failed = true;
                    pending.AddRange(items);
                }
            }

            if (failed)
            {
                await AwaitRingChangeAsync(ring.Version, attempt, cancellationToken);
            }
        }
    }
}
