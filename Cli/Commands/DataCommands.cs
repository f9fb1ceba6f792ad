using System.CommandLine;
using System.Globalization;

namespace DiMint.Cli.Commands;

/// <summary><c>set</c>, <c>get</c> and <c>del</c>: typed values as JSON; <c>ttl</c>, <c>expire</c>, <c>persist</c> and <c>incr</c>.</summary>
internal static class DataCommands
{
    public const string Notation = """
        Values are JSON. Integers stay integers and numbers with a fraction are doubles; these forms say the rest:
          {"$set": [1, 2, 3]}            a set
          {"$bytes": "AAEC"}             bytes (base64)
          {"$dict": [[1, "one"]]}        a dictionary with non-string keys
          {"$double": "NaN"}             NaN, Infinity, -Infinity
        'get' prints the same notation, so its output can be given back to 'set'.
        """;

    private static readonly Argument<string> Key = new("KEY") { Description = "The key (text; numbers are keys by their text, so 1 and \"1\" are the same key)." };
    private static readonly Argument<string> Value = new("JSON") { Description = "The value in DiMint's JSON notation (see 'dimint set --help')." };

    private const string DurationNotation = "a number with a unit: 500ms, 30s, 5m, 2h, 7d (a bare number is seconds)";

    public static Command Set()
    {
        var ttl = new Option<string?>("--ttl") { HelpName = "DURATION", Description = $"Expire the key after this long, counted by its master's clock ({DurationNotation}). Without it the key has no expiry (one it had goes)." };
        var command = new Command("set", "Store a value under a key and print it as stored.\n\n" + Notation) { Key, Value, ttl };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var expiry = parse.GetValue(ttl) is { } text ? ParseDuration(text, "--ttl") : (TimeSpan?)null;
            object? value;
            try
            {
                value = ValueJson.Parse(parse.GetValue(Value)!);
            }
            catch (FormatException ex)
            {
                throw new CliUsageException($"The value is not valid: {ex.Message}");
            }

            var key = parse.GetValue(Key)!;
            DiMintKey.Normalize(key);
            ValueCodec.Encode(value);
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var stored = expiry is { } t ? await client.SetAsync(key, value, t, ct) : await client.SetAsync(key, value, ct);
            Console.Out.WriteLine(ValueJson.Format(stored));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Get()
    {
        var command = new Command("get", "Print the value stored under a key, as JSON. Exit code 1 when the key is not stored.") { Key };
        OnKey(command, async (parse, key, client, ct) =>
        {
            var (found, value) = await client.TryGetAsync<object?>(key, ct);
            if (!found)
            {
                Console.Error.WriteLine($"Key '{key}' is not stored.");
                return ExitCodes.KeyNotFound;
            }

            Console.Out.WriteLine(ValueJson.Format(value));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Delete()
    {
        var command = new Command("del", "Delete a key. Exit code 1 when the key was not stored.") { Key };
        OnKey(command, async (parse, key, client, ct) =>
        {
            if (!await client.DeleteAsync(key, ct))
            {
                Console.Error.WriteLine($"Key '{key}' is not stored.");
                return ExitCodes.KeyNotFound;
            }

            Console.Out.WriteLine("Deleted.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Ttl()
    {
        var command = new Command("ttl", "Print how long a key has left (as --ttl takes it), or 'no expiry'. Exit code 1 when the key is not stored.") { Key };
        OnKey(command, async (parse, key, client, ct) =>
        {
            var left = await client.GetTtlAsync(key, ct);
            Console.Out.WriteLine(left is { } t ? FormatDuration(t) : "no expiry");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Expire()
    {
        var ttl = new Argument<string>("DURATION") { Description = $"How long the key lives from now ({DurationNotation})." };
        var command = new Command("expire", "Give a stored key an expiry (replacing any it had). Exit code 1 when the key is not stored.") { Key, ttl };
        OnKey(command, check: parse => ParseDuration(parse.GetValue(ttl)!, "DURATION"), body: async (parse, key, client, ct) =>
        {
            var expiry = ParseDuration(parse.GetValue(ttl)!, "DURATION");
            if (!await client.ExpireAsync(key, expiry, ct))
            {
                Console.Error.WriteLine($"Key '{key}' is not stored.");
                return ExitCodes.KeyNotFound;
            }

            Console.Out.WriteLine($"Expires in {FormatDuration(expiry)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Persist()
    {
        var command = new Command("persist", "Take a key's expiry off, so it stays until deleted. Exit code 1 when the key is not stored.") { Key };
        OnKey(command, async (parse, key, client, ct) =>
        {
            if (await client.PersistAsync(key, ct))
            {
                Console.Out.WriteLine("Expiry removed.");
                return ExitCodes.Ok;
            }

            // Nothing changed: tell a key without expiry from a missing one.
            _ = await client.GetTtlAsync(key, ct);
            Console.Out.WriteLine("The key had no expiry.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Increment()
    {
        var delta = new Argument<long>("DELTA") { Description = "What to add (negative subtracts; default 1).", DefaultValueFactory = _ => 1 };
        var command = new Command("incr", "Add to the integer stored under a key (a missing key counts as 0), atomically at its master, and print the result. An expiry the key has stays. Exit code 2 when the value is not an integer or the result would overflow (nothing changed).") { Key, delta };
        OnKey(command, async (parse, key, client, ct) =>
        {
            Console.Out.WriteLine((await client.IncrementAsync(key, parse.GetValue(delta), ct)).ToString(CultureInfo.InvariantCulture));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Runs <paramref name="body"/> as <paramref name="command"/>'s action on its KEY, after the key and what
    /// <paramref name="check"/> checks are found valid (bad input changes nothing and connects to nothing).
    /// </summary>
    private static void OnKey(Command command, Func<ParseResult, string, Client.DimintClient, CancellationToken, Task<int>> body, Action<ParseResult>? check = null) =>
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var key = parse.GetValue(Key)!;
            DiMintKey.Normalize(key);
            check?.Invoke(parse);
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            return await body(parse, key, client, ct);
        }));

    /// <summary>Parses a duration as the console takes it: a number with a unit (ms, s, m, h, d), or a bare number of seconds.</summary>
    internal static TimeSpan ParseDuration(string text, string what)
    {
        var trimmed = text.Trim();
        var (number, unit) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (trimmed[..^2], 1.0),
            _ when trimmed.EndsWith('s') || trimmed.EndsWith('S') => (trimmed[..^1], 1_000.0),
            _ when trimmed.EndsWith('m') || trimmed.EndsWith('M') => (trimmed[..^1], 60_000.0),
            _ when trimmed.EndsWith('h') || trimmed.EndsWith('H') => (trimmed[..^1], 3_600_000.0),
            _ when trimmed.EndsWith('d') || trimmed.EndsWith('D') => (trimmed[..^1], 86_400_000.0),
            _ => (trimmed, 1_000.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount * unit < 1 || amount * unit > ValueExpiry.MaxTtl.TotalMilliseconds)
        {
            throw new CliUsageException($"{what} '{text}' is not a duration: give {DurationNotation}, from 1ms to {ValueExpiry.MaxTtl.TotalDays:0}d.");
        }

        return TimeSpan.FromMilliseconds(Math.Round(amount * unit));
    }

    /// <summary>A duration in the notation <see cref="ParseDuration"/> takes back: seconds with milliseconds.</summary>
    internal static string FormatDuration(TimeSpan duration) =>
        string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###}s");
}
