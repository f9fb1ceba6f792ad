using System.CommandLine;
using DiMint.Cli.Bench;
using StackExchange.Redis;

namespace DiMint.Cli.Commands;

/// <summary>
/// <c>dimint bench</c>: a load generator measuring throughput and latency against a running DiMint cluster or a
/// Redis-protocol store, with the same workers, keys and values for both.
/// </summary>
internal static class BenchCommand
{
    private const double DefaultDurationSeconds = 30;

    public static Command Create()
    {
        var target = new Option<string>("--target") { HelpName = "NAME", Description = "The store to drive: 'dimint' (the cluster given by --gateway or --zookeeper), or 'redis' (a Redis-protocol server or cluster given by --endpoints: Redis, Redis Cluster, Garnet).", DefaultValueFactory = _ => "dimint" };
        var endpoints = new Option<string[]>("--endpoints") { HelpName = "HOST:PORT,...", Description = "With --target redis: the server, or any nodes of the cluster (comma-separated or repeated).", Arity = ArgumentArity.OneOrMore };
        var passwordFile = new Option<string?>("--password-file") { HelpName = "FILE", Description = "With --target redis: the AUTH password, from this file (a DiMint silo's Redis-protocol port takes the cluster secret: --password-file ~/.dimint/cluster.secret)." };
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
        var chart = new Option<string?>("--chart") { HelpName = "FILE", Description = "Also draw the run as a PNG: throughput and p99 over time, warm-up included, one point per progress line." };
        var noDataPort = new Option<bool>("--no-data-port") { Description = "With --target dimint: send every batch as an Orleans call instead of on the silos' data ports (to compare the two)." };
        var command = new Command("bench", """
            Measure throughput and latency: load the keys, warm up, then run reads and writes from many in-flight
            operations and print ops/s and latency percentiles (HdrHistogram) for reads, writes and all.
            Exit code 3 when any measured operation failed (results are still printed and written).
            """)
        {
            target, endpoints, passwordFile, keys, valueSize, readRatio, concurrency, duration, operations, distribution, warmup, load, noLoad, seed, json, chart, noDataPort,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var name = parse.GetValue(target)!;
            var redisEndpoints = CheckTarget(name, parse.GetValue(endpoints), parse);

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
                JsonPath = CheckOutputPath("--json", parse.GetValue(json)),
                ChartPath = CheckOutputPath("--chart", parse.GetValue(chart)),
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

            IBenchTarget? connected = redisEndpoints is null
                ? new DimintBenchTarget(await CliOptions.ConnectAsync(parse, ct, o => o.UseDataPort = !parse.GetValue(noDataPort)))
                : await ConnectRedisAsync(redisEndpoints, ReadPassword(parse.GetValue(passwordFile)), ct);
            if (connected is null)
            {
                return ExitCodes.ClusterError;
            }

            await using var bench = connected;
            var result = await new BenchRunner(settings, bench, Console.Out, TimeProvider.System).RunAsync(ct);
            BenchReport.Print(result, Console.Out);
            if (settings.JsonPath is { } path)
            {
                await BenchReport.WriteJsonAsync(result, path, ct);
                Console.Out.WriteLine($"Results written to {path}.");
            }

            if (settings.ChartPath is { } chartPath)
            {
                BenchChart.SavePng(result, chartPath);
                Console.Out.WriteLine($"Chart written to {chartPath}.");
            }

            return result.Errors == 0 ? ExitCodes.Ok : ExitCodes.ClusterError;
        }));
        command.Subcommands.Add(Report());
        command.Subcommands.Add(Chart());
        return command;
    }

    /// <summary><c>dimint bench report</c>: one table (markdown), summary (JSON) and chart (PNG) from a comparison's raw results.</summary>
    private static Command Report()
    {
        var input = new Option<string>("--in") { HelpName = "DIR", Description = "The raw folder bench/compare.sh fills: SYSTEM.WORKLOAD.json results (dimint bench --json), SYSTEM.load.json and SYSTEM.memory.json.", Required = true };
        var output = new Option<string>("--out") { HelpName = "PREFIX", Description = "Write PREFIX.md, PREFIX.json and PREFIX.png.", Required = true };
        var title = new Option<string?>("--title") { HelpName = "TEXT", Description = "The report's heading." };
        var command = new Command("report", "Summarize a comparison of stores (bench/compare.sh runs this): print one table with each store's throughput, latency percentiles, errors and DiMint's throughput ratio to it, and the memory each took; write it as markdown, JSON and a PNG chart.")
        {
            input, output, title,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var directory = parse.GetValue(input)!;
            if (!Directory.Exists(directory))
            {
                throw new CliUsageException($"--in '{directory}' is not a folder.");
            }

            var prefix = Path.GetFullPath(parse.GetValue(output)!);
            if (!Directory.Exists(Path.GetDirectoryName(prefix)))
            {
                throw new CliUsageException($"--out '{prefix}': the folder {Path.GetDirectoryName(prefix)} does not exist.");
            }

            CompareSummary summary;
            try
            {
                summary = CompareReport.Build(directory, parse.GetValue(title));
            }
            catch (InvalidDataException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var markdown = CompareReport.ToMarkdown(summary);
            await File.WriteAllTextAsync(prefix + ".md", markdown, ct);
            await CompareReport.WriteJsonAsync(summary, prefix + ".json", ct);
            CompareChart.SavePng(summary, prefix + ".png");
            Console.Out.WriteLine(markdown);
            Console.Out.WriteLine($"Written: {prefix}.md, {prefix}.json, {prefix}.png");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>dimint bench chart</c>: draws a summary that <c>dimint bench report</c> wrote.</summary>
    private static Command Chart()
    {
        var input = new Option<string>("--in") { HelpName = "FILE", Description = "A summary written by 'dimint bench report' (PREFIX.json).", Required = true };
        var output = new Option<string>("--out") { HelpName = "FILE", Description = "The PNG to write.", Required = true };
        var command = new Command("chart", "Draw a comparison summary as a PNG: throughput and p99 latency per workload, one bar per store.") { input, output };
        command.SetAction((parse, ct) => Cli.RunAsync(() =>
        {
            var path = parse.GetValue(input)!;
            if (!File.Exists(path))
            {
                throw new CliUsageException($"--in '{path}' does not exist.");
            }

            try
            {
                CompareChart.SavePng(CompareReport.ReadSummary(path), parse.GetValue(output)!);
            }
            catch (InvalidDataException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            Console.Out.WriteLine($"Written: {parse.GetValue(output)}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    /// <summary>Checks the target and where it is; returns the endpoints for <c>--target redis</c>, null for DiMint.</summary>
    private static string[]? CheckTarget(string name, string[]? given, ParseResult parse)
    {
        var endpoints = (given ?? []).SelectMany(e => e.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        switch (name)
        {
            case "dimint":
                return endpoints.Length == 0 && given is not { Length: > 0 }
                    ? null
                    : throw new CliUsageException("--endpoints is for --target redis; give a DiMint cluster with --gateway or --zookeeper.");
            case "redis":
                if (endpoints.Length == 0)
                {
                    throw new CliUsageException("--target redis needs --endpoints host:port[,host:port...] (the server, or any nodes of the cluster).");
                }

                if (parse.GetValue(CliOptions.Gateway) is { Length: > 0 } || parse.GetValue(CliOptions.ZooKeeper) is not null)
                {
                    throw new CliUsageException("--gateway and --zookeeper are for --target dimint; give a Redis-protocol store with --endpoints.");
                }

                foreach (var endpoint in endpoints)
                {
                    try
                    {
                        HostPort.Parse(endpoint);
                    }
                    catch (FormatException ex)
                    {
                        throw new CliUsageException($"--endpoints: {ex.Message}");
                    }
                }

                return endpoints;
            default:
                throw new CliUsageException($"--target '{name}' is not known: give dimint or redis.");
        }
    }

    /// <summary>Connects to a Redis-protocol store, or says why not and returns null.</summary>
    /// <summary>The password kept in <paramref name="file"/> (its text, trimmed), or null without a file.</summary>
    private static string? ReadPassword(string? file)
    {
        if (file is null)
        {
            return null;
        }

        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--password-file '{file}' cannot be read: {ex.Message}");
        }
    }

    private static async Task<RedisBenchTarget?> ConnectRedisAsync(string[] endpoints, string? password, CancellationToken cancellationToken)
    {
        try
        {
            return await RedisBenchTarget.ConnectAsync(endpoints, password, cancellationToken);
        }
        catch (RedisConnectionException ex)
        {
            // The exception's own message advises on connection-string settings, which say nothing to a dimint user.
            Console.Error.WriteLine($"Could not connect to {string.Join(", ", endpoints)} ({ex.FailureType}){(ex.InnerException is { } inner ? ": " + inner.Message : ".")}");
            return null;
        }
    }

    private static long Check(long value, long min, long max, string message) =>
        value >= min && value <= max ? value : throw new CliUsageException(message);

    private static double Check(double value, double min, double max, string message) =>
        value >= min && value <= max ? value : throw new CliUsageException(message);

    /// <summary>The full path to write results to, checked now so a bad path fails before the run rather than after it.</summary>
    private static string? CheckOutputPath(string option, string? path)
    {
        if (path is null)
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"{option} '{path}' is a directory; give a file name.");
        }

        var directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new CliUsageException($"{option} '{path}': the directory {directory} does not exist.");
        }

        return full;
    }
}
