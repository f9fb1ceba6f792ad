using System.CommandLine;

namespace DiMint.Cli.Commands;

/// <summary><c>set</c>, <c>get</c> and <c>del</c>: typed values as JSON.</summary>
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

    public static Command Set()
    {
        var command = new Command("set", "Store a value under a key and print it as stored.\n\n" + Notation) { Key, Value };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
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
            var stored = await client.SetAsync(key, value, ct);
            Console.Out.WriteLine(ValueJson.Format(stored));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Get()
    {
        var command = new Command("get", "Print the value stored under a key, as JSON. Exit code 1 when the key is not stored.") { Key };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var key = parse.GetValue(Key)!;
            DiMintKey.Normalize(key);
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var (found, value) = await client.TryGetAsync<object?>(key, ct);
            if (!found)
            {
                Console.Error.WriteLine($"Key '{key}' is not stored.");
                return ExitCodes.KeyNotFound;
            }

            Console.Out.WriteLine(ValueJson.Format(value));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Delete()
    {
        var command = new Command("del", "Delete a key. Exit code 1 when the key was not stored.") { Key };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var key = parse.GetValue(Key)!;
            DiMintKey.Normalize(key);
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            if (!await client.DeleteAsync(key, ct))
            {
                Console.Error.WriteLine($"Key '{key}' is not stored.");
                return ExitCodes.KeyNotFound;
            }

            Console.Out.WriteLine("Deleted.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
