using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace DiMint.Cli.Bench;

/// <summary>Prints a result as a table, and writes it as JSON for <c>--json</c>.</summary>
internal static class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static void Print(BenchResult result, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        var table = new Table().AddColumns("", "Ops", "Ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "Max ms", "Errors");
        foreach (var (name, row) in new[] { ("all", result.Latency.All), ("read", result.Latency.Read), ("write", result.Latency.Write) })
        {
            table.AddRow(
                name,
                Format($"{row.Operations:N0}"),
                Format($"{row.OpsPerSecond:N0}"),
                Millis(row.P50),
                Millis(row.P90),
                Millis(row.P99),
                Millis(row.P999),
                Millis(row.Max),
                Format($"{row.Errors:N0}"));
        }

        console.Write(table);
        output.WriteLine(Format($"{result.Target}: {result.OpsPerSecond:N0} ops/s over {result.Seconds:0.0} s, {result.Errors:N0} errors, {result.Misses:N0} misses."));
        if (result.FirstError is { } error)
        {
            output.WriteLine($"First error: {error}");
        }
    }

    public static async Task WriteJsonAsync(BenchResult result, string path, CancellationToken cancellationToken)
    {
        // Written whole to a temporary file first, so a reader never sees half a result.
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, result, JsonOptions, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string Millis(double value) => Format($"{value:0.000}");

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
