using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace DiMint.Cli.Commands;

/// <summary>How the cluster commands print numbers, sizes, hashes and silos, and where their tables go.</summary>
internal static class ConsoleText
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Whether stdout is a terminal that can show a live progress bar (not a pipe, a file or a test).</summary>
    public static bool IsInteractive => !Console.IsOutputRedirected;

    /// <summary>A console on stdout: colours and live output on a terminal, plain text and a wide page otherwise.</summary>
    public static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = IsInteractive ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = IsInteractive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!IsInteractive)
        {
            console.Profile.Width = 200;
        }

        return console;
    }

    public static void Render(Table table) => Create().Write(table);

    public static string Hex(ulong value) => $"0x{value:x16}";

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };

    public static string Rate(double bytesPerSecond) => $"{Size((long)bytesPerSecond)}/s";

    public static string Duration(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0} ms"),
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes} min {duration.Seconds} s"),
    };

    public static string Milliseconds(TimeSpan duration) => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.0} ms");

    /// <summary>A silo as operators name it on the command line: <c>host:port</c> (its silo port).</summary>
    public static string Silo(SiloAddress? silo) => silo is null ? "-" : silo.Endpoint.ToString();

    /// <summary>Parses a hash given on the command line: <c>0x</c> and up to 16 hex digits, or a decimal number.</summary>
    public static ulong ParseHash(string text, string option)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new CliUsageException($"{option} '{text}' is not a hash (0x followed by up to 16 hex digits, or a decimal number).");
    }
}
