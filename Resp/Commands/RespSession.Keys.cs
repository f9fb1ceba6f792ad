using System.Text;
using DiMint.Resp.Protocol;

namespace DiMint.Resp.Commands;

/// <summary>The commands on keys: strings, counters, expiry, and the read commands of lists, hashes and sets.</summary>
internal sealed partial class RespSession
{
    private const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

    // ---- Strings ----

    private async Task GetAsync(byte[][] args, RespWriter reply)
    {
        var (found, value) = await Client.TryGetAsync<object?>(RespValues.Key(args[1]));
        if (!found)
        {
            reply.Null();
        }
        else if (RespValues.TryString(value, out var bytes))
        {
            reply.Bulk(bytes);
        }
        else
        {
            reply.Error(WrongType);
        }
    }

    private async Task SetAsync(byte[][] args, RespWriter reply)
    {
        var key = RespValues.Key(args[1]);
        var value = RespValues.FromRedis(args[2]);
        if (args.Length == 3)
        {
            // The plain set: batched with the connection's other calls, on the data port.
            await Client.SetAsync(key, value);
            reply.Simple("OK");
            return;
        }

        var (condition, ttl, keepTtl, get) = (SetCondition.Always, (TimeSpan?)null, false, false);
        for (var i = 3; i < args.Length; i++)
        {
            var option = Encoding.ASCII.GetString(args[i]).ToUpperInvariant();
            switch (option)
            {
                case "NX" when condition == SetCondition.Always:
                    condition = SetCondition.IfAbsent;
                    break;
                case "XX" when condition == SetCondition.Always:
                    condition = SetCondition.IfPresent;
                    break;
                case "GET" when !get:
                    get = true;
                    break;
                case "KEEPTTL" when ttl is null && !keepTtl:
                    keepTtl = true;
                    break;
                case "EX" or "PX" or "EXAT" or "PXAT" when ttl is null && !keepTtl && i + 1 < args.Length:
                    ttl = ExpiryOption(option, args[++i]);
                    break;
                default:
                    throw new RespCommandException("ERR syntax error");
            }
        }

        if (get && (await Client.TryGetAsync<object?>(key)) is (true, var old) && !RespValues.TryString(old, out _))
        {
            reply.Error(WrongType);
            return;
        }

        var bytes = ValueCodec.Encode(value, Client.Options.MaxValueBytes);
        var result = await Client.UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Set, Value = bytes, Ttl = ttl, KeepTtl = keepTtl, Condition = condition });
        if (get)
        {
            WriteStored(result.Previous, reply);
        }
        else if (result.Applied)
        {
            reply.Simple("OK");
        }
        else
        {
            reply.Null();
        }
    }

    /// <summary>The expiry an EX, PX, EXAT or PXAT option gives (an absolute time already past expires the key at once).</summary>
    private static TimeSpan ExpiryOption(string option, byte[] argument)
    {
        if (!RespValues.TryCanonicalInteger(argument, out var amount))
        {
            throw new RespCommandException("ERR value is not an integer or out of range");
        }

        var milliseconds = option switch
        {
            "EX" => amount <= long.MaxValue / 1000 ? amount * 1000 : -1,
            "PX" => amount,
            "EXAT" => amount <= long.MaxValue / 1000 ? Math.Max(1, (amount * 1000) - ValueExpiry.NowMs()) : -1,
            _ => Math.Max(1, amount - ValueExpiry.NowMs()),
        };
        if (amount <= 0 || milliseconds <= 0 || milliseconds > ValueExpiry.MaxTtl.TotalMilliseconds)
        {
            throw new RespCommandException("ERR invalid expire time in 'set' command");
        }

        return TimeSpan.FromMilliseconds(milliseconds);
    }

    private async Task SetExAsync(byte[][] args, RespWriter reply, long ticksPerUnit)
    {
        var amount = IntegerArgument(args[2]);
        if (amount <= 0 || amount > ValueExpiry.MaxTtl.Ticks / ticksPerUnit)
        {
            throw new RespCommandException($"ERR invalid expire time in '{Encoding.ASCII.GetString(args[0]).ToLowerInvariant()}' command");
        }

        await Client.SetAsync(RespValues.Key(args[1]), RespValues.FromRedis(args[3]), TimeSpan.FromTicks(amount * ticksPerUnit));
        reply.Simple("OK");
    }

    private async Task SetNxAsync(byte[][] args, RespWriter reply) =>
        reply.Integer(await Client.SetIfNotExistsAsync(RespValues.Key(args[1]), RespValues.FromRedis(args[2])) ? 1 : 0);

    private async Task GetDelAsync(byte[][] args, RespWriter reply)
    {
        var key = RespValues.Key(args[1]);
        if ((await Client.TryGetAsync<object?>(key)) is (true, var old) && !RespValues.TryString(old, out _))
        {
            reply.Error(WrongType);
            return;
        }

        WriteStored((await Client.UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Delete })).Previous, reply);
    }

    /// <summary>Stored bytes as a string reply (null: the null reply).</summary>
    private static void WriteStored(byte[]? stored, RespWriter reply)
    {
        if (stored is null)
        {
            reply.Null();
        }
        else
        {
            reply.Bulk(RespValues.Element(ValueCodec.Decode(stored)));
        }
    }

    private async Task DelAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await ForEachAsync(args.Skip(1).Select(RespValues.Key), k => Client.DeleteAsync(k))).Count(deleted => deleted));

    private async Task ExistsAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await ForEachAsync(args.Skip(1).Select(RespValues.Key), k => Client.ExistsAsync(k))).Count(found => found));

    private async Task MGetAsync(byte[][] args, RespWriter reply)
    {
        var keys = args.Skip(1).Select(RespValues.Key).ToArray();
        var found = await Client.GetManyAsync<object?>(keys.Distinct());
        reply.Array(keys.Length);
        foreach (var key in keys)
        {
            if (found.TryGetValue(key, out var value) && RespValues.TryString(value, out var bytes))
            {
                reply.Bulk(bytes);
            }
            else
            {
                reply.Null();
            }
        }
    }

    private async Task MSetAsync(byte[][] args, RespWriter reply)
    {
        if (args.Length % 2 != 1)
        {
            throw new RespCommandException("ERR wrong number of arguments for 'mset' command");
        }

        // The last value of a key given twice wins, as in Redis.
        var entries = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i += 2)
        {
            entries[RespValues.Key(args[i])] = RespValues.FromRedis(args[i + 1]);
        }

        await Client.SetManyAsync(entries);
        reply.Simple("OK");
    }

    // ---- Counters and expiry ----

    private async Task IncrementAsync(byte[][] args, RespWriter reply, long sign)
    {
        var delta = args.Length == 3 ? IntegerArgument(args[2]) : 1;
        if (sign < 0)
        {
            delta = delta == long.MinValue ? throw new RespCommandException("ERR decrement would overflow") : -delta;
        }

        reply.Integer(await Client.IncrementAsync(RespValues.Key(args[1]), delta));
    }

    private async Task ExpireAsync(byte[][] args, RespWriter reply, long ticksPerUnit)
    {
        var key = RespValues.Key(args[1]);
        var amount = IntegerArgument(args[2]);
        if (amount <= 0)
        {
            // An expiry in the past deletes the key, as in Redis.
            reply.Integer(await Client.DeleteAsync(key) ? 1 : 0);
            return;
        }

        if (amount > ValueExpiry.MaxTtl.Ticks / ticksPerUnit)
        {
            throw new RespCommandException($"ERR invalid expire time in '{Encoding.ASCII.GetString(args[0]).ToLowerInvariant()}' command");
        }

        reply.Integer(await Client.ExpireAsync(key, TimeSpan.FromTicks(amount * ticksPerUnit)) ? 1 : 0);
    }

    private async Task TtlAsync(byte[][] args, RespWriter reply, bool milliseconds)
    {
        TimeSpan? left;
        try
        {
            left = await Client.GetTtlAsync(RespValues.Key(args[1]));
        }
        catch (DiMintKeyNotFoundException)
        {
            reply.Integer(-2);
            return;
        }

        reply.Integer(left is not { } t ? -1 : milliseconds ? (long)t.TotalMilliseconds : ((long)t.TotalMilliseconds + 500) / 1000);
    }

    private async Task PersistAsync(byte[][] args, RespWriter reply) =>
        reply.Integer(await Client.PersistAsync(RespValues.Key(args[1])) ? 1 : 0);

    private async Task TypeAsync(byte[][] args, RespWriter reply)
    {
        var (found, value) = await Client.TryGetAsync<object?>(RespValues.Key(args[1]));
        reply.Simple(found ? RespValues.TypeOf(value) : "none");
    }

    // ---- Lists, hashes and sets (read whole, from the key's master) ----

    /// <summary>The value of a key that must hold <paramref name="type"/> (null when the key is not stored).</summary>
    private async Task<T?> CollectionAsync<T>(byte[] key, string type)
        where T : class
    {
        var (found, value) = await Client.TryGetAsync<object?>(RespValues.Key(key));
        if (!found)
        {
            return null;
        }

        return RespValues.TypeOf(value) == type && value is T typed ? typed : throw new RespCommandException(WrongType);
    }

    private async Task LRangeAsync(byte[][] args, RespWriter reply)
    {
        var (start, stop) = (IntegerArgument(args[2]), IntegerArgument(args[3]));
        var list = await CollectionAsync<List<object?>>(args[1], "list") ?? [];
        start = start < 0 ? Math.Max(0, list.Count + start) : start;
        stop = stop < 0 ? list.Count + stop : Math.Min(stop, list.Count - 1);
        if (start > stop || start >= list.Count)
        {
            reply.Array(0);
            return;
        }

        reply.Array((int)(stop - start + 1));
        for (var i = (int)start; i <= stop; i++)
        {
            reply.Bulk(RespValues.Element(list[i]));
        }
    }

    private async Task LLenAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await CollectionAsync<List<object?>>(args[1], "list"))?.Count ?? 0);

    private async Task HGetAsync(byte[][] args, RespWriter reply)
    {
        var hash = await CollectionAsync<Dictionary<object, object?>>(args[1], "hash");
        var field = hash?.FirstOrDefault(e => RespValues.Element(e.Key).AsSpan().SequenceEqual(args[2]));
        if (field is { Key: not null } entry)
        {
            reply.Bulk(RespValues.Element(entry.Value));
        }
        else
        {
            reply.Null();
        }
    }

    private async Task HGetAllAsync(byte[][] args, RespWriter reply)
    {
        var hash = await CollectionAsync<Dictionary<object, object?>>(args[1], "hash") ?? [];
        reply.Map(hash.Count);
        foreach (var (field, value) in hash)
        {
            reply.Bulk(RespValues.Element(field));
            reply.Bulk(RespValues.Element(value));
        }
    }

    private async Task HLenAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await CollectionAsync<Dictionary<object, object?>>(args[1], "hash"))?.Count ?? 0);

    private async Task SMembersAsync(byte[][] args, RespWriter reply)
    {
        var set = await CollectionAsync<HashSet<object?>>(args[1], "set") ?? [];
        reply.Set(set.Count);
        foreach (var member in set)
        {
            reply.Bulk(RespValues.Element(member));
        }
    }

    private async Task SIsMemberAsync(byte[][] args, RespWriter reply)
    {
        var set = await CollectionAsync<HashSet<object?>>(args[1], "set");
        reply.Integer(set?.Any(m => RespValues.Element(m).AsSpan().SequenceEqual(args[2])) == true ? 1 : 0);
    }

    private async Task SCardAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await CollectionAsync<HashSet<object?>>(args[1], "set"))?.Count ?? 0);
}
