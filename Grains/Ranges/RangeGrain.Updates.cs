using System.Buffers;
using DiMint.Grains.Hosting;
using MessagePack;

namespace DiMint.Grains.Ranges;

/// <summary>
/// Writes the master works out from a key's current value (conditional sets, increments, expiry changes), and active
/// expiry. Each reads the value and stores the result in one turn, under the lock every write of the range takes, from a
/// turn or from the data port's thread (<see cref="Replication.MasterReplication.StoreDecided"/>): nothing comes between. The value read is the newest applied, committed or not: a
/// result stored on top of an uncommitted write is committed only after it (replicas apply a master's writes in order),
/// and an update that changes nothing waits until what it saw is committed before it answers.
/// </summary>
internal sealed partial class RangeGrain
{
    /// <summary>The most expired keys one round of active expiry deletes in a range (one replicated batch).</summary>
    private const int ExpireBatch = 500;

    public async Task<UpdateResult> UpdateAsync(string key, KeyUpdate update, long ringVersion, WriteIds? ids = null)
    {
        ArgumentNullException.ThrowIfNull(update);
        CheckKey(key);
        CheckUpdate(update);
        if (await RefuseAsync(key, ringVersion) is { } moved)
        {
            return new UpdateResult { Status = RangeStatus.Moved, Ring = moved };
        }

        if (update.Kind == KeyUpdateKind.Inspect)
        {
            return await ReadAsync(() => new UpdateResult
            {
                Status = RangeStatus.Ok,
                Current = _data!.TryGet(key, out var value) ? value : null,
                MasterTimeMs = ValueExpiry.NowMs(),
            });
        }

        await EnsureLeaseAsync();
        _replicas!.CheckWritable();
        var now = ValueExpiry.NowMs();
        if (_replicas.TryGetApplied(key, ids, out var appliedSeq, out var written))
        {
            // A retry of an update this copy applied: answer what it did, once it is committed.
            var retried = await _replicas.AcknowledgeAsync(appliedSeq);
            if (retried.Status == RangeStatus.Moved)
            {
                return new UpdateResult { Status = RangeStatus.Moved, Ring = retried.Ring };
            }

            if (update.Kind is KeyUpdateKind.Increment or KeyUpdateKind.Delete && written is null)
            {
                throw new OutcomeUnknownException(key);
            }

            return new UpdateResult { Status = RangeStatus.Ok, Applied = true, Current = written, MasterTimeMs = now };
        }

        byte[]? previous = null, current = null;
        var applied = false;
        var seq = _replicas.StoreDecided(
            () =>
            {
                previous = _data!.TryGetApplied(key, out var stored) && !ValueExpiry.IsExpired(stored, now) ? stored : null;
                (applied, current) = Apply(key, update, previous, now);
                return applied ? ([key], [current]) : null;
            },
            ids,
            keepValues: update.Kind == KeyUpdateKind.Increment);

        var acknowledged = seq == 0 ? WriteResult.Ok : await _replicas.AcknowledgeAsync(seq);
        return acknowledged.Status == RangeStatus.Moved
            ? new UpdateResult { Status = RangeStatus.Moved, Ring = acknowledged.Ring }
            : new UpdateResult { Status = RangeStatus.Ok, Applied = applied, Previous = previous, Current = applied ? current : previous, MasterTimeMs = now };
    }

    /// <summary>
    /// A batch's updates for the silo's batch service, from its thread: one turn of this activation starts them all, in
    /// order (each stores its write before the next starts, unless it must wait for a fence or the lease), and each is
    /// answered when its write is acknowledged. An activation going away hands them to Orleans.
    /// </summary>
    internal Task<(UpdateResult?[] Results, Exception?[] Errors)> UpdateManyFromSiloAsync(string[] keys, KeyUpdate[] updates, long ringVersion, WriteIds? ids)
    {
        Task<(UpdateResult?[], Exception?[])> ThroughOrleans()
        {
            var grainKey = this.GetPrimaryKeyString();
            return Task.Run(() => UpdateEachAsync(keys, ids, (i, one) => grains.GetGrain<IRangeGrain>(grainKey).UpdateAsync(keys[i], updates[i], ringVersion, one)));
        }

        return _deactivated
            ? ThroughOrleans()
            : Turn.Queue(GrainContext, () => _deactivated ? ThroughOrleans() : UpdateEachAsync(keys, ids, (i, one) => UpdateAsync(keys[i], updates[i], ringVersion, one)));
    }

    /// <summary>Starts <paramref name="update"/> for each key, in order, with its own write id, and gathers each one's answer or error.</summary>
    internal static async Task<(UpdateResult?[] Results, Exception?[] Errors)> UpdateEachAsync(string[] keys, WriteIds? ids, Func<int, WriteIds?, Task<UpdateResult>> update)
    {
        var pending = new Task<UpdateResult>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var id = ids is not null ? ids.Ids[i] : 0;
            try
            {
                pending[i] = update(i, id == 0 ? null : new WriteIds { ClientId = ids!.ClientId, Oldest = ids.Oldest, Ids = [id] });
            }
            catch (Exception ex)
            {
                pending[i] = Task.FromException<UpdateResult>(ex);
            }
        }

        var results = new UpdateResult?[keys.Length];
        var errors = new Exception?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            try
            {
                results[i] = await pending[i];
            }
            catch (Exception ex)
            {
                errors[i] = ex;
            }
        }

        return (results, errors);
    }

    /// <summary>
    /// Deletes (replicated, as any delete) the keys of this master's range whose expiry has passed, up to
    /// <see cref="ExpireBatch"/>; answers how many. Run in a turn of the grain by the silo's <see cref="ExpirySweeper"/>.
    /// </summary>
    internal Task<int> ExpireDueAsync() => Turn.Queue(GrainContext, () =>
    {
        if (_deactivated || !IsCurrent || _fence is not null || _replicas is not { HoldsLease: true } replicas)
        {
            return Task.FromResult(0);
        }

        // Decided under the writes' lock: no write from the data port's thread comes between finding a key expired and deleting it.
        List<string>? keys = null;
        try
        {
            var seq = replicas.StoreDecided(() =>
            {
                replicas.CheckWritable();
                keys = _data!.TakeExpired(ValueExpiry.NowMs(), ExpireBatch);
                return keys.Count == 0 ? null : ([.. keys], new byte[]?[keys.Count]);
            });

            // Nobody waits for the deletes: a failed one leaves an expired value readers already treat as missing.
            _ = keys is not { Count: > 0 } ? Task.CompletedTask : replicas.AcknowledgeAsync(seq).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (Exception ex) when (ex is DiMintException)
        {
            // Not writable now (too few replicas, fenced): the keys taken come due again at the next round.
            if (keys is not null)
            {
                _data!.RequeueExpired(keys);
            }

            return Task.FromResult(0);
        }

        return Task.FromResult(keys?.Count ?? 0);
    });

    /// <summary>What <paramref name="update"/> makes of the key's value <paramref name="previous"/> (null: not stored): whether it changes it, and the new stored bytes (null: deleted).</summary>
    private static (bool Applied, byte[]? Current) Apply(string key, KeyUpdate update, byte[]? previous, long now)
    {
        switch (update.Kind)
        {
            case KeyUpdateKind.Set:
                var holds = update.Condition switch
                {
                    SetCondition.IfAbsent => previous is null,
                    SetCondition.IfPresent => previous is not null,
                    SetCondition.IfVersion => previous is not null && ValueExpiry.VersionOf(previous) == update.Version,
                    _ => true,
                };
                if (!holds)
                {
                    return (false, previous);
                }

                var value = update.Value!;
                return update switch
                {
                    { Ttl: { } ttl } => (true, ValueExpiry.Wrap(value, ValueExpiry.ExpiryFor(ttl, now))),
                    { KeepTtl: true } when previous is not null && ValueExpiry.ExpiresAt(previous) is { } at => (true, ValueExpiry.Wrap(value, at)),
                    _ => (true, value),
                };

            case KeyUpdateKind.Increment:
                var number = previous is null ? 0 : IntegerOf(key, previous);
                long sum;
                try
                {
                    sum = checked(number + update.Delta);
                }
                catch (OverflowException)
                {
                    throw new IntegerOverflowException(key, number, update.Delta);
                }

                var encoded = EncodeInteger(sum);
                return (true, previous is not null && ValueExpiry.ExpiresAt(previous) is { } keep ? ValueExpiry.Wrap(encoded, keep) : encoded);

            case KeyUpdateKind.Expire:
                return previous is null ? (false, null) : (true, ValueExpiry.Wrap(previous, ValueExpiry.ExpiryFor(update.Ttl!.Value, now)));

            case KeyUpdateKind.Persist:
                return previous is not null && ValueExpiry.HasExpiry(previous) ? (true, ValueExpiry.Strip(previous)) : (false, previous);

            case KeyUpdateKind.Delete:
                return previous is null ? (false, null) : (true, null);

            default:
                throw new ArgumentOutOfRangeException(nameof(update), update.Kind, "Not a key update.");
        }
    }

    /// <summary>Checks an update before anything is read or changed.</summary>
    private void CheckUpdate(KeyUpdate update)
    {
        if (update.Kind == KeyUpdateKind.Set)
        {
            if (update.Value is null)
            {
                throw new ArgumentException("A set needs a value.", nameof(update));
            }

            ValueCodec.CheckSize(update.Value.Length, _limits.MaxValueBytes);
            if (ValueExpiry.HasExpiry(update.Value))
            {
                throw new ArgumentException("A set's value carries no expiry of its own: give its Ttl.", nameof(update));
            }
        }

        if (update.Ttl is { } ttl)
        {
            ValueExpiry.CheckTtl(ttl);
        }
        else if (update.Kind == KeyUpdateKind.Expire)
        {
            throw new ArgumentException("An expiry change needs a Ttl.", nameof(update));
        }

        if (!Enum.IsDefined(update.Kind) || !Enum.IsDefined(update.Condition))
        {
            throw new ArgumentException($"Unknown update {update.Kind}/{update.Condition}.", nameof(update));
        }
    }

    /// <summary>The integer a stored value holds.</summary>
    /// <exception cref="ValueTypeMismatchException">The value is not an integer.</exception>
    private static long IntegerOf(string key, byte[] stored)
    {
        var inner = ValueExpiry.Inner(stored.AsMemory());
        var reader = new MessagePackReader(inner);
        if (reader.NextMessagePackType == MessagePackType.Integer)
        {
            try
            {
                var value = reader.ReadInt64();
                if (reader.End)
                {
                    return value;
                }
            }
            catch (OverflowException)
            {
                // A uint64 beyond long: not a DiMint integer.
            }
        }

        throw new ValueTypeMismatchException(ValueCodec.KindOf(SafeDecode(inner)), "integer");
    }

    private static object? SafeDecode(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return ValueCodec.Decode(bytes);
        }
        catch (FormatException)
        {
            return "unreadable value";
        }
    }

    private static byte[] EncodeInteger(long value)
    {
        var buffer = new ArrayBufferWriter<byte>(9);
        var writer = new MessagePackWriter(buffer);
        writer.Write(value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
