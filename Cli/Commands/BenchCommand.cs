using System.CommandLine;
using DiMint.Cli.Bench;

namespace DiMint.Cli.Commands;

/// <summary><c>dimint bench</c>: a load generator measuring throughput and latency against a running cluster.</summary>
internal static class BenchCommand
{
    private const double DefaultDurationSeconds = 30;

    public static Command Create()
    {
        var target = new Option<string>("--target") { HelpName = "NAME", Description = "The store to drive. Only 'dimint' (the cluster given by --gateway or --zookeeper) for now.", DefaultValueFactory = _ => "dimint" };
        var keys = new Option<long>("--keys") { HelpName = "N", Description = "Size of the key space (keys bench:0, bench:1, ...).", DefaultValueFactory = _ => 100_000 };
        var valueSize = new Option<int>("--value-size") { HelpName = "BYTES", Description = "Bytes per value (random bytes, fixed per key so reads are checked).", DefaultValueFactory = _ => 100 };
        var readRatio = new Option<double>("--read-ratio") { HelpName = "RATIO", Description = "The share of operations that are reads, 0 to 1; the rest are writes.", DefaultValueFactory = _ => 0.8 };
        var concurrency = new Option<int>("--concurrency", "-c") { HelpName = "N", Description = "Operations in flight at once.", DefaultValueFactory = _ => 32 };
        var duration = new Option<double?>("--duration", "-d") { HelpName = "SECONDS", Description = $"Seconds to measure after the warm-up (default {DefaultDurationSeconds:0} unless --operations is given)." };
        var operations = new Option<long?>("--operations", "-n") { HelpName = "N", Description = "Measure this many operations after the warm-up instead of a duration." };
        var distribution = new Option<string>("--distribution") { Description = "How keys are picked: uniform, or zipfian (theta 0.99: a few keys hot).", DefaultValueFactory = _ => "uniform" };
        distribution.AcceptOnlyFromAmong("uniform", "zipfian");
        var warmup = new Option<double>("--warmup") { HelpName = "SECONDS", Description = "Seconds of load before measuring starts.", DefaultValueFactory = _ => 3 };
        var load = new Option<bool>("--load") { Description = "Store every key before the run, in batches (the default)." };
        var noLoad = new Option<bool>("--no-load") { Description = "Do not load; reads of keys not stored count as misses, not errors." };
        var seed = new Option<int>("--seed") { HelpName = "N", Description = "Seeds the values and the key and operation streams, so runs repeat (--no-load checks reads against values of the same seed).", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { HelpName = "FILE", Description = "Also write the results to this file as JSON (workload, throughput, latencies, errors, machine)." };
        var command = new Command("bench", """
            Measure throughput and latency: load the keys, warm up, then run reads and writes from many in-flight
            operations and print ops/s and latency percentiles (HdrHistogram) for reads, writes and all.
            Exit code 3 when any measured operation failed (results are still printed and written).
            """)
        {
            target, keys, valueSize, readRatio, concurrency, duration, operations, distribution, warmup, load, noLoad, seed, json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var name = parse.GetValue(target)!;
            if (!string.Equals(name, "dimint", StringComparison.Ordinal))
            {
                throw new CliUsageException(name == "redis"
                    ? "--target redis is not available yet: only --target dimint can be benchmarked for now."
                    : $"--target '{name}' is not known: the only target for now is dimint.");
            }

            var settings = new BenchSettings
            {
                Target = name,
                Keys = Check(parse.GetValue(keys), 1, 100_000_000, "--keys must be between 1 and 100,000,000."),
                ValueSize = (int)Check(parse.GetValue(valueSize), 0, 1024 * 1024, "--value-size must be between 0 and 1,048,576 bytes."),
                ReadRatio = Check(parse.GetValue(readRatio), 0, 1, "--read-ratio must be between 0 and 1."),
                Concurrency = (int)Check(parse.GetValue(concurrency), 1, 10_000, "--concurrency must be between 1 and 10,000."),
                Distribution = parse.GetValue(distribution) == "zipfian" ? KeyDistribution.Zipfian : KeyDistribution.Uniform,
                Warmup = TimeSpan.FromSeconds(Check(parse.GetValue(warmup), 0, 3600, "--warmup must be between 0 and 3,600 seconds.")),
                Load = !parse.GetValue(noLoad),
                Seed = parse.GetValue(seed),
                JsonPath = CheckJsonPath(parse.GetValue(json)),
            };
            if (parse.GetValue(load) && parse.GetValue(noLoad))
            {
                throw new CliUsageException("Give --load or --no-load, not both.");
            }

            var givenDuration = parse.GetValue(duration);
            var givenOperations = parse.GetValue(operations);
            settings = (givenDuration, givenOperations) switch
            {
                ({ }, { }) => throw new CliUsageException("Give --duration or --operations, not both."),
                (null, { } n) => settings with { Operations = Check(n, 1, long.MaxValue, "--operations must be at least 1.") },
                _ => settings with { Duration = TimeSpan.FromSeconds(Check(givenDuration ?? DefaultDurationSeconds, 0.001, 86_400, "--duration must be more than 0 and at most 86,400 seconds.")) },
            };

            await using var bench = new DimintBenchTarget(await CliOptions.ConnectAsync(parse, ct));
            var result = await new BenchRunner(settings, bench, Console.Out, TimeProvider.System).RunAsync(ct);
            BenchReport.Print(result, Console.Out);
            if (settings.JsonPath is { } path)
            {
                await BenchReport.WriteJsonAsync(result, path, ct);
                Console.Out.WriteLine($"Results written to {path}.");
            }

            return result.Errors == 0 ? ExitCodes.Ok : ExitCodes.ClusterError;
        }));
        return command;
    }

    private static long Check(long value, long min, long max, string message) =>
        value >= min && value <= max ? value : throw new CliUsageException(message);

    private static double Check(double value, double min, double max, string message) =>
        value >= min && value <= max ? value : throw new CliUsageException(message);

    /// <summary>The full path to write results to, checked now so a bad path fails before the run rather than after it.</summary>
    private static string? CheckJsonPath(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"--json '{path}' is a directory; give a file name.");
        }

        var directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new CliUsageException($"--json '{path}': the directory {directory} does not exist.");
        }

        return full;
    }
}
