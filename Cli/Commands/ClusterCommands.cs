using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace DiMint.Cli.Commands;

/// <summary><c>status</c>, <c>ring</c> and <c>split</c>.</summary>
internal static class ClusterCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static Command Status()
    {
        var command = new Command("status", "Show the cluster's silos: address, up or down, master and replica ranges, keys (in master copies), bytes, memory.") { CliOptions.Json };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var status = await client.GetClusterStatusAsync(ct);
            if (parse.GetValue(CliOptions.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(
                    status.Silos.Select(s => new
                    {
                        address = s.Address.ToString(),
                        up = s.IsUp,
                        membership = s.MembershipStatus,
                        masterRanges = s.MasterRanges,
                        replicaRanges = status.Ranges.Count(r => r.Range.Replicas.Contains(s.Address)),
                        keys = s.Keys,
                        bytes = s.Bytes,
                        memoryBytes = s.ProcessMemoryBytes,
                        gateway = s.Gateway,
                        pid = s.ProcessId,
                    }),
                    JsonOptions));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Silo", "Up", "Membership", "Masters", "Replicas", "Keys", "Bytes", "Memory", "Gateway", "PID");
            foreach (var silo in status.Silos)
            {
                table.AddRow(
                    Markup.Escape(silo.Address.ToString()),
                    silo.IsUp ? "[green]up[/]" : "[red]down[/]",
                    silo.MembershipStatus,
                    Number(silo.MasterRanges),
                    Number(status.Ranges.Count(r => r.Range.Replicas.Contains(silo.Address))),
                    Number(silo.Keys),
                    Size(silo.Bytes),
                    Size(silo.ProcessMemoryBytes),
                    Markup.Escape(silo.Gateway ?? "-"),
                    silo.ProcessId == 0 ? "-" : Number(silo.ProcessId));
            }

            Render(table);
            Console.Out.WriteLine($"Ring version {status.RingVersion}: {status.Ranges.Length} ranges, {status.Silos.Count(s => s.IsUp)} of {status.Silos.Length} silos up, {Number(status.Silos.Sum(s => s.Keys))} keys.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Ring()
    {
        var command = new Command("ring", "Show the ring: each range's hash bounds, master and replica silos, epoch, keys, replication lag (writes the slowest replica is behind) and replicas in sync.") { CliOptions.Json };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var status = await client.GetClusterStatusAsync(ct);
            if (parse.GetValue(CliOptions.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        version = status.RingVersion,
                        ranges = status.Ranges.Select(r => new
                        {
                            id = r.Range.Id,
                            start = Hex(r.Range.Start),
                            end = r.Range.End == 0 ? "2^64" : Hex(r.Range.End),
                            master = r.Range.Master.ToString(),
                            replicas = r.Range.Replicas.Select(x => x.ToString()).ToArray(),
                            epoch = r.Range.Epoch,
                            keys = r.Keys,
                            bytes = r.Bytes,
                            writes = r.AppliedSeq,
                            replicaLag = r.ReplicaLag,
                            replicasInSync = r.ReplicasInSync,
                        }),
                    },
                    JsonOptions));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Range", "Start", "End", "Master", "Replicas", "Epoch", "Keys", "Bytes", "Lag", "In sync");
            foreach (var r in status.Ranges)
            {
                table.AddRow(
                    Number(r.Range.Id),
                    Hex(r.Range.Start),
                    r.Range.End == 0 ? "2^64" : Hex(r.Range.End),
                    Markup.Escape(r.Range.Master.ToString()),
                    Markup.Escape(string.Join(" ", r.Range.Replicas.Select(x => x.ToString()))),
                    Number(r.Range.Epoch),
                    r.Keys < 0 ? "?" : Number(r.Keys),
                    r.Bytes < 0 ? "?" : Size(r.Bytes),
                    r.ReplicaLag < 0 ? "?" : Number(r.ReplicaLag),
                    r.ReplicasInSync < 0 ? "?" : $"{r.ReplicasInSync}/{r.Range.Replicas.Length}");
            }

            Render(table);
            Console.Out.WriteLine($"Ring version {status.RingVersion}, {status.Ranges.Length} ranges.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Split()
    {
        var range = new Argument<int>("RANGE") { Description = "The id of the range to split (see 'dimint ring')." };
        var at = new Option<string?>("--at") { Description = "The hash where the upper half starts (hex 0x... or decimal). Default: where the range's bytes divide in half." };
        var command = new Command("split", "Split a range in two; clients keep working and are redirected.") { range, at };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            ulong? point = parse.GetValue(at) is { } text ? ParseHash(text) : null;
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var ring = await client.SplitRangeAsync(parse.GetValue(range), point, ct);
            Console.Out.WriteLine($"Range {parse.GetValue(range)} split; ring version {ring.Version}, {ring.Ranges.Length} ranges.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static ulong ParseHash(string text)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new CliUsageException($"--at '{text}' is not a hash (0x followed by up to 16 hex digits, or a decimal number).");
    }

    private static void Render(Table table)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        console.Write(table);
    }

    private static string Hex(ulong value) => $"0x{value:x16}";

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };
}
