using System.Globalization;
using System.Text;
using DiMint.Client;
using DiMint.Resp.Protocol;

namespace DiMint.Resp.Commands;

/// <summary>
/// One Redis-protocol connection's state (protocol version, authentication, name) and the commands it runs. Each command
/// goes through a <see cref="DimintClient"/> inside the silo, which routes it to the key's master as a .NET app's would:
/// any silo serves any key. Commands of one connection on the same key run in the order they came (see
/// <see cref="RespServer"/> for how a pipeline's commands on different keys run together).
/// </summary>
internal sealed partial class RespSession(RespServer server, long id)
{
    private static readonly byte[] Ok = "OK"u8.ToArray();

    private DimintClient Client => server.Client;

    // Authenticated, Closing, Name and Protocol change only in commands that run alone (RespServer waits for every
    // command before them, and reads the next command after them): no lock, the awaits order their threads.

    /// <summary>Whether the connection proved the cluster secret (or the cluster has none).</summary>
    public bool Authenticated { get; private set; } = server.Secret is null;

    /// <summary>Set by QUIT: the connection closes once its reply is sent.</summary>
    public bool Closing { get; private set; }

    public long Id => id;

    public string? Name { get; private set; }

    /// <summary>The protocol version replies are written in: 2, or 3 after <c>HELLO 3</c>.</summary>
    public int Protocol { get; private set; } = 2;

    /// <summary>
    /// The keys <paramref name="args"/> names, when it is a command on keys that may run beside others on other keys
    /// (pipelined); null for one that must run alone, in its place: it changes the connection (AUTH, HELLO, QUIT ...),
    /// is unknown or malformed, or comes before the connection authenticated.
    /// </summary>
    public IEnumerable<byte[]>? KeysOf(byte[][] args)
    {
        if (!Authenticated || !Commands.TryGetValue(Encoding.ASCII.GetString(args[0]).ToUpperInvariant(), out var command) || command.FirstKey <= 0
            || (command.Arity > 0 ? args.Length != command.Arity : args.Length < -command.Arity))
        {
            return null;
        }

        var last = command.LastKey < 0 ? args.Length + command.LastKey : command.LastKey;
        return Enumerable.Range(0, ((last - command.FirstKey) / command.KeyStep) + 1).Select(i => args[command.FirstKey + (i * command.KeyStep)]);
    }

    /// <summary>Runs one command and writes its reply (or its error) to <paramref name="reply"/>.</summary>
    public async Task ExecuteAsync(byte[][] args, RespWriter reply)
    {
        var name = Encoding.ASCII.GetString(args[0]).ToUpperInvariant();
        try
        {
            if (!Authenticated && name is not ("AUTH" or "HELLO" or "QUIT"))
            {
                reply.Error("NOAUTH Authentication required.");
                return;
            }

            if (!Commands.TryGetValue(name, out var command))
            {
                var shown = string.Join(' ', args.Skip(1).Take(3).Select(a => $"'{Encoding.UTF8.GetString(a)}'"));
                reply.Error($"ERR unknown command '{Encoding.UTF8.GetString(args[0])}', with args beginning with: {shown}");
                return;
            }

            if (command.Arity > 0 ? args.Length != command.Arity : args.Length < -command.Arity)
            {
                reply.Error($"ERR wrong number of arguments for '{name.ToLowerInvariant()}' command");
                return;
            }

            await command.Run(this, args, reply);
        }
        catch (RespCommandException ex)
        {
            reply.Error(ex.Message);
        }
        catch (DiMintException ex)
        {
            reply.Error(ErrorOf(ex, name));
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            reply.Error($"CLUSTERDOWN The cluster did not answer: {ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            reply.Error($"ERR {ex.Message}");
        }
    }

    /// <summary>A DiMint error in Redis's words where Redis has them, so clients recognise it.</summary>
    private static string ErrorOf(DiMintException ex, string command) => ex switch
    {
        ValueTypeMismatchException when command.Contains("INCR", StringComparison.Ordinal) || command.Contains("DECR", StringComparison.Ordinal)
            => "ERR value is not an integer or out of range",
        IntegerOverflowException => "ERR increment or decrement would overflow",
        InvalidExpiryException => $"ERR invalid expire time in '{command.ToLowerInvariant()}' command",
        ClusterUnavailableException or RoutingException or NotEnoughReplicasException or RangeUnavailableException
            => $"CLUSTERDOWN {ex.Message}",
        _ => $"ERR {ex.Message}",
    };

    // ---- Connection ----

    private Task PingAsync(byte[][] args, RespWriter reply)
    {
        if (args.Length > 2)
        {
            throw new RespCommandException("ERR wrong number of arguments for 'ping' command");
        }

        if (args.Length == 2)
        {
            reply.Bulk(args[1]);
        }
        else
        {
            reply.Simple("PONG");
        }

        return Task.CompletedTask;
    }

    private Task EchoAsync(byte[][] args, RespWriter reply)
    {
        reply.Bulk(args[1]);
        return Task.CompletedTask;
    }

    private Task AuthAsync(byte[][] args, RespWriter reply)
    {
        if (args.Length > 3)
        {
            throw new RespCommandException("ERR syntax error");
        }

        Authenticate(args.Length == 3 ? args[1] : null, args[^1]);
        reply.Simple("OK");
        return Task.CompletedTask;
    }

    /// <summary>Checks a password (the cluster secret) for the user <c>default</c>, the only one.</summary>
    private void Authenticate(byte[]? user, byte[] password)
    {
        if (server.Secret is null)
        {
            throw new RespCommandException("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }

        if ((user is not null && !user.AsSpan().SequenceEqual("default"u8)) || !server.Secret.Matches(password))
        {
            server.CountRefused();
            throw new RespCommandException("WRONGPASS invalid username-password pair or user is disabled.");
        }

        Authenticated = true;
    }

    private Task HelloAsync(byte[][] args, RespWriter reply)
    {
        var protocol = reply.Protocol;
        var i = 1;
        if (args.Length > 1)
        {
            if (!RespValues.TryCanonicalInteger(args[1], out var version))
            {
                throw new RespCommandException("ERR Protocol version is not an integer or out of range");
            }

            if (version is not (2 or 3))
            {
                throw new RespCommandException("NOPROTO unsupported protocol version");
            }

            protocol = (int)version;
            i = 2;
        }

        for (; i < args.Length; i++)
        {
            var option = Encoding.ASCII.GetString(args[i]).ToUpperInvariant();
            if (option == "AUTH" && i + 2 < args.Length)
            {
                Authenticate(args[i + 1], args[i + 2]);
                i += 2;
            }
            else if (option == "SETNAME" && i + 1 < args.Length)
            {
                Name = Encoding.UTF8.GetString(args[++i]);
            }
            else
            {
                throw new RespCommandException($"ERR Syntax error in HELLO option '{Encoding.UTF8.GetString(args[i])}'");
            }
        }

        if (!Authenticated)
        {
            throw new RespCommandException("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        }

        Protocol = protocol;
        reply.Protocol = protocol;
        reply.Map(7);
        reply.Bulk("server");
        reply.Bulk("redis");
        reply.Bulk("version");
        reply.Bulk(RespServer.RedisVersion);
        reply.Bulk("proto");
        reply.Integer(protocol);
        reply.Bulk("id");
        reply.Integer(id);
        reply.Bulk("mode");
        reply.Bulk("standalone");
        reply.Bulk("role");
        reply.Bulk("master");
        reply.Bulk("modules");
        reply.Array(0);
        return Task.CompletedTask;
    }

    private Task SelectAsync(byte[][] args, RespWriter reply)
    {
        if (!RespValues.TryCanonicalInteger(args[1], out var db))
        {
            throw new RespCommandException("ERR value is not an integer or out of range");
        }

        if (db != 0)
        {
            throw new RespCommandException("ERR DB index is out of range");
        }

        reply.Simple("OK");
        return Task.CompletedTask;
    }

    private Task QuitAsync(byte[][] args, RespWriter reply)
    {
        Closing = true;
        reply.Simple("OK");
        return Task.CompletedTask;
    }

    private Task ClientAsync(byte[][] args, RespWriter reply)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "SETNAME" when args.Length == 3:
                var name = Encoding.UTF8.GetString(args[2]);
                if (name.Any(c => c <= ' ' || c > '~'))
                {
                    throw new RespCommandException("ERR Client names cannot contain spaces, newlines or special characters.");
                }

                Name = name.Length == 0 ? null : name;
                reply.Simple("OK");
                break;
            case "GETNAME" when args.Length == 2:
                if (Name is null)
                {
                    reply.Null();
                }
                else
                {
                    reply.Bulk(Name);
                }

                break;
            case "ID" when args.Length == 2:
                reply.Integer(id);
                break;
            case "SETINFO" when args.Length == 4:
                // Client libraries announce their name and version; DiMint keeps nothing of it.
                reply.Simple("OK");
                break;
            case "INFO" when args.Length == 2:
                reply.Bulk($"id={id} name={Name} db=0 resp={reply.Protocol}\n");
                break;
            default:
                throw new RespCommandException($"ERR unknown subcommand or wrong number of arguments for 'client|{sub.ToLowerInvariant()}'. DiMint serves CLIENT SETNAME, GETNAME, ID, INFO and SETINFO.");
        }

        return Task.CompletedTask;
    }

    private Task RefuseTransactionAsync(byte[][] args, RespWriter reply)
    {
        reply.Error($"ERR {Encoding.ASCII.GetString(args[0]).ToUpperInvariant()} is not supported by DiMint: keys live on different masters, and a transaction across them is not atomic. Use SET with NX or XX, INCR, or the .NET client's compare-and-set.");
        return Task.CompletedTask;
    }

    // ---- Server ----

    private async Task DbSizeAsync(byte[][] args, RespWriter reply) =>
        reply.Integer((await Client.GetClusterStatusAsync()).Ranges.Sum(r => r.Keys));

    private async Task InfoAsync(byte[][] args, RespWriter reply)
    {
        var sections = args.Skip(1).Select(a => Encoding.ASCII.GetString(a).ToLowerInvariant()).ToHashSet();
        bool Wants(string section) => sections.Count == 0 || sections.Contains(section) || sections.Contains("all") || sections.Contains("everything") || sections.Contains("default");
        var text = new StringBuilder();
        if (Wants("server"))
        {
            text.Append("# Server\r\n")
                .Append("redis_version:").Append(RespServer.RedisVersion).Append("\r\n")
                .Append("dimint_version:").Append(typeof(RespServer).Assembly.GetName().Version).Append("\r\n")
                .Append("redis_mode:standalone\r\n")
                .Append("os:").Append(Environment.OSVersion).Append("\r\n")
                .Append("arch_bits:64\r\n")
                .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
                .Append("tcp_port:").Append(server.Port).Append("\r\n")
                .Append("uptime_in_seconds:").Append((long)server.Uptime.TotalSeconds).Append("\r\n\r\n");
        }

        if (Wants("clients"))
        {
            text.Append("# Clients\r\nconnected_clients:").Append(server.Connections).Append("\r\n\r\n");
        }

        if (Wants("replication"))
        {
            // Each silo answers for the whole cluster, routing every key to its range's master.
            text.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
        }

        if (Wants("keyspace"))
        {
            var status = await Client.GetClusterStatusAsync();
            var keys = status.Ranges.Sum(r => r.Keys);
            text.Append("# Keyspace\r\n");
            if (keys > 0)
            {
                text.Append("db0:keys=").Append(keys).Append(",expires=").Append(status.Ranges.Sum(r => r.ExpiringKeys)).Append(",avg_ttl=0\r\n");
            }
        }

        reply.Bulk(text.ToString());
    }

    private Task CommandAsync(byte[][] args, RespWriter reply)
    {
        var sub = args.Length > 1 ? Encoding.ASCII.GetString(args[1]).ToUpperInvariant() : null;
        switch (sub)
        {
            case null:
                reply.Array(Commands.Count);
                foreach (var (name, command) in Commands)
                {
                    WriteCommandInfo(name, command, reply);
                }

                break;
            case "COUNT":
                reply.Integer(Commands.Count);
                break;
            case "INFO":
                reply.Array(args.Length - 2);
                foreach (var asked in args.Skip(2).Select(a => Encoding.ASCII.GetString(a).ToUpperInvariant()))
                {
                    if (Commands.TryGetValue(asked, out var command))
                    {
                        WriteCommandInfo(asked, command, reply);
                    }
                    else
                    {
                        reply.Null();
                    }
                }

                break;
            case "DOCS":
                // No documentation to give: redis-cli then uses the help it was built with.
                reply.Map(0);
                break;
            default:
                throw new RespCommandException($"ERR unknown subcommand '{sub.ToLowerInvariant()}'. DiMint serves COMMAND, COMMAND COUNT, COMMAND INFO and COMMAND DOCS.");
        }

        return Task.CompletedTask;
    }

    private static void WriteCommandInfo(string name, RespCommand command, RespWriter reply)
    {
        reply.Array(6);
        reply.Bulk(name.ToLowerInvariant());
        reply.Integer(command.Arity);
        reply.Set(1);
        reply.Simple(command.Write ? "write" : "readonly");
        reply.Integer(command.FirstKey);
        reply.Integer(command.LastKey);
        reply.Integer(command.KeyStep);
    }

    /// <summary>The Redis settings CONFIG GET answers, as they are true of DiMint: it keeps data in memory only (no snapshots, no append-only file) and has one database.</summary>
    private static readonly (string Name, string Value)[] Settings = [("save", ""), ("appendonly", "no"), ("databases", "1")];

    private Task ConfigAsync(byte[][] args, RespWriter reply)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        if (sub != "GET" || args.Length < 3)
        {
            throw new RespCommandException($"ERR CONFIG {sub} is not supported by DiMint: its settings are the silos' configuration (DiMint:...).");
        }

        var patterns = args.Skip(2).Select(a => "^" + System.Text.RegularExpressions.Regex.Escape(Encoding.UTF8.GetString(a).ToLowerInvariant()).Replace("\\*", ".*").Replace("\\?", ".") + "$").ToArray();
        var matching = Settings.Where(s => patterns.Any(p => System.Text.RegularExpressions.Regex.IsMatch(s.Name, p))).ToArray();
        reply.Map(matching.Length);
        foreach (var (name, value) in matching)
        {
            reply.Bulk(name);
            reply.Bulk(value);
        }

        return Task.CompletedTask;
    }

    /// <summary>An integer argument, or Redis's error for one that is not.</summary>
    private static long IntegerArgument(byte[] bytes) =>
        RespValues.TryCanonicalInteger(bytes, out var value) || long.TryParse(bytes, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            ? value
            : throw new RespCommandException("ERR value is not an integer or out of range");

    /// <summary>Runs <paramref name="call"/> for every key at once and answers in their order.</summary>
    private static Task<T[]> ForEachAsync<T>(IEnumerable<string> keys, Func<string, Task<T>> call) => Task.WhenAll(keys.Select(call));
}

/// <summary>A command's failure to answer as a Redis error (the message starts with the error's code).</summary>
internal sealed class RespCommandException(string message) : Exception(message);
