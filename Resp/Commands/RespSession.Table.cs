using System.Collections.Frozen;
using DiMint.Resp.Protocol;

namespace DiMint.Resp.Commands;

/// <summary>A command the Redis-protocol port serves: how to run it, its arity as Redis states it (negative: at least), and where its keys are.</summary>
internal sealed record RespCommand(Func<RespSession, byte[][], RespWriter, Task> Run, int Arity, bool Write, int FirstKey = 1, int LastKey = 1, int KeyStep = 1);

internal sealed partial class RespSession
{
    /// <summary>The commands served, by upper-case name.</summary>
    internal static readonly FrozenDictionary<string, RespCommand> Commands = new Dictionary<string, RespCommand>
    {
        ["PING"] = new((s, a, r) => s.PingAsync(a, r), -1, Write: false, 0, 0, 0),
        ["ECHO"] = new((s, a, r) => s.EchoAsync(a, r), 2, Write: false, 0, 0, 0),
        ["AUTH"] = new((s, a, r) => s.AuthAsync(a, r), -2, Write: false, 0, 0, 0),
        ["HELLO"] = new((s, a, r) => s.HelloAsync(a, r), -1, Write: false, 0, 0, 0),
        ["SELECT"] = new((s, a, r) => s.SelectAsync(a, r), 2, Write: false, 0, 0, 0),
        ["QUIT"] = new((s, a, r) => s.QuitAsync(a, r), -1, Write: false, 0, 0, 0),
        ["CLIENT"] = new((s, a, r) => s.ClientAsync(a, r), -2, Write: false, 0, 0, 0),
        ["COMMAND"] = new((s, a, r) => s.CommandAsync(a, r), -1, Write: false, 0, 0, 0),
        ["CONFIG"] = new((s, a, r) => s.ConfigAsync(a, r), -2, Write: false, 0, 0, 0),
        ["INFO"] = new((s, a, r) => s.InfoAsync(a, r), -1, Write: false, 0, 0, 0),
        ["DBSIZE"] = new((s, a, r) => s.DbSizeAsync(a, r), 1, Write: false, 0, 0, 0),
        ["MULTI"] = new((s, a, r) => s.RefuseTransactionAsync(a, r), 1, Write: false, 0, 0, 0),
        ["EXEC"] = new((s, a, r) => s.RefuseTransactionAsync(a, r), 1, Write: false, 0, 0, 0),
        ["DISCARD"] = new((s, a, r) => s.RefuseTransactionAsync(a, r), 1, Write: false, 0, 0, 0),
        ["WATCH"] = new((s, a, r) => s.RefuseTransactionAsync(a, r), -2, Write: false, 1, -1, 1),
        ["GET"] = new((s, a, r) => s.GetAsync(a, r), 2, Write: false),
        ["SET"] = new((s, a, r) => s.SetAsync(a, r), -3, Write: true),
        ["SETEX"] = new((s, a, r) => s.SetExAsync(a, r, TimeSpan.TicksPerSecond), 4, Write: true),
        ["PSETEX"] = new((s, a, r) => s.SetExAsync(a, r, TimeSpan.TicksPerMillisecond), 4, Write: true),
        ["SETNX"] = new((s, a, r) => s.SetNxAsync(a, r), 3, Write: true),
        ["GETDEL"] = new((s, a, r) => s.GetDelAsync(a, r), 2, Write: true),
        ["DEL"] = new((s, a, r) => s.DelAsync(a, r), -2, Write: true, 1, -1, 1),
        ["UNLINK"] = new((s, a, r) => s.DelAsync(a, r), -2, Write: true, 1, -1, 1),
        ["EXISTS"] = new((s, a, r) => s.ExistsAsync(a, r), -2, Write: false, 1, -1, 1),
        ["MGET"] = new((s, a, r) => s.MGetAsync(a, r), -2, Write: false, 1, -1, 1),
        ["MSET"] = new((s, a, r) => s.MSetAsync(a, r), -3, Write: true, 1, -1, 2),
        ["INCR"] = new((s, a, r) => s.IncrementAsync(a, r, 1), 2, Write: true),
        ["DECR"] = new((s, a, r) => s.IncrementAsync(a, r, -1), 2, Write: true),
        ["INCRBY"] = new((s, a, r) => s.IncrementAsync(a, r, 1), 3, Write: true),
        ["DECRBY"] = new((s, a, r) => s.IncrementAsync(a, r, -1), 3, Write: true),
        ["EXPIRE"] = new((s, a, r) => s.ExpireAsync(a, r, TimeSpan.TicksPerSecond), 3, Write: true),
        ["PEXPIRE"] = new((s, a, r) => s.ExpireAsync(a, r, TimeSpan.TicksPerMillisecond), 3, Write: true),
        ["TTL"] = new((s, a, r) => s.TtlAsync(a, r, milliseconds: false), 2, Write: false),
        ["PTTL"] = new((s, a, r) => s.TtlAsync(a, r, milliseconds: true), 2, Write: false),
        ["PERSIST"] = new((s, a, r) => s.PersistAsync(a, r), 2, Write: true),
        ["TYPE"] = new((s, a, r) => s.TypeAsync(a, r), 2, Write: false),
        ["LRANGE"] = new((s, a, r) => s.LRangeAsync(a, r), 4, Write: false),
        ["LLEN"] = new((s, a, r) => s.LLenAsync(a, r), 2, Write: false),
        ["HGET"] = new((s, a, r) => s.HGetAsync(a, r), 3, Write: false),
        ["HGETALL"] = new((s, a, r) => s.HGetAllAsync(a, r), 2, Write: false),
        ["HLEN"] = new((s, a, r) => s.HLenAsync(a, r), 2, Write: false),
        ["SMEMBERS"] = new((s, a, r) => s.SMembersAsync(a, r), 2, Write: false),
        ["SISMEMBER"] = new((s, a, r) => s.SIsMemberAsync(a, r), 3, Write: false),
        ["SCARD"] = new((s, a, r) => s.SCardAsync(a, r), 2, Write: false),
    }.ToFrozenDictionary();
}
