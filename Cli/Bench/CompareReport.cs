using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DiMint.Cli.Bench;

/// <summary>
/// Turns a comparison's raw folder (written by <c>bench/compare.sh</c>) into one summary: a table per workload with
/// every store's figures and DiMint's throughput ratio to each, and the memory each store took for the same keys.
/// </summary>
/// <remarks>
/// The raw folder holds, for each store id (<c>dimint</c>, <c>redis</c>, <c>garnet</c>, ...):
/// <c>ID.WORKLOAD.json</c>, the <c>dimint bench --json</c> results of each measured workload;
/// <c>ID.load.json</c>, the results of the run that loaded the keys; and <c>ID.memory.json</c> (<see cref="CompareMemorySample"/>).
/// </remarks>
internal static class CompareReport
{
    public const string DimintId = "dimint";

    private const string LoadKind = "load";
    private const string MemoryKind = "memory";

    private static readonly string[] PreferredOrder = [DimintId, "redis", "garnet"];

    private static readonly Dictionary<string, string> DefaultLabels = new(StringComparer.Ordinal)
    {
        [DimintId] = "DiMint",
        ["redis"] = "Redis Cluster",
        ["garnet"] = "Garnet",
    };

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Reads a raw folder into a summary.</summary>
    /// <exception cref="InvalidDataException">The folder holds no results, or a file is not what its name says.</exception>
    public static CompareSummary Build(string rawDirectory, string? title)
    {
        var results = new Dictionary<(string System, string Kind), BenchResult>();
        var samples = new Dictionary<string, CompareMemorySample>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(rawDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            var parts = Path.GetFileNameWithoutExtension(path).Split('.');
            if (parts.Length != 2)
            {
                continue;
            }

            var (system, kind) = (parts[0], parts[1]);
            if (kind == MemoryKind)
            {
                samples[system] = Read<CompareMemorySample>(path);
            }
            else
            {
                results[(system, kind)] = Read<BenchResult>(path);
            }
        }

        var measured = results.Where(r => r.Key.Kind != LoadKind).ToList();
        if (measured.Count == 0)
        {
            throw new InvalidDataException($"{rawDirectory} holds no benchmark results (SYSTEM.WORKLOAD.json).");
        }

        var systemIds = results.Keys.Select(k => k.System).Concat(samples.Keys).Distinct()
            .OrderBy(id => Array.IndexOf(PreferredOrder, id) is var i and >= 0 ? i : PreferredOrder.Length)
            .ThenBy(id => id, StringComparer.Ordinal)
            .ToList();
        var systems = systemIds.Select(id =>
        {
            var any = results.Where(r => r.Key.System == id).Select(r => r.Value).FirstOrDefault();
            samples.TryGetValue(id, out var sample);
            return new CompareSystem(
                id,
                sample?.Label ?? DefaultLabels.GetValueOrDefault(id, id),
                sample?.Shape,
                sample?.Version,
                any?.Server,
                any?.Endpoints ?? []);
        }).ToList();

        var workloads = measured
            .GroupBy(r => r.Key.Kind)
            .Select(g => BuildWorkload(g.Key, g.ToDictionary(r => r.Key.System, r => r.Value), systemIds))
            .OrderByDescending(w => w.ReadRatio)
            .ThenBy(w => w.Id, StringComparer.Ordinal)
            .ToList();

        var memory = new List<CompareMemory>();
        foreach (var id in systemIds)
        {
            if (samples.TryGetValue(id, out var sample) && results.TryGetValue((id, LoadKind), out var load))
            {
                var keys = load.Workload.Keys;
                var dataBytes = DataBytes(keys, load.Workload.ValueSize);
                memory.Add(new CompareMemory(
                    id,
                    sample.Processes,
                    keys,
                    load.Workload.ValueSize,
                    dataBytes,
                    sample.RssBeforeBytes,
                    sample.RssAfterBytes,
                    (sample.RssAfterBytes - sample.RssBeforeBytes) / (double)keys,
                    sample.RssAfterBytes / (double)dataBytes));
            }
        }

        return new CompareSummary
        {
            Timestamp = measured.Min(r => r.Value.Timestamp),
            Title = title,
            Machine = measured[0].Value.Machine,
            Systems = systems,
            Workloads = workloads,
            Memory = memory,
        };
    }

    /// <summary>Key and value bytes of keys <c>bench:0</c> to <c>bench:{keys - 1}</c>, each counted once.</summary>
    public static long DataBytes(long keys, int valueSize)
    {
        long bytes = keys * ("bench:".Length + (long)valueSize);
        for (long low = 0, high = 10, digits = 1; low < keys; low = high, high *= 10, digits++)
        {
            bytes += (Math.Min(high, keys) - low) * digits;
        }

        return bytes;
    }

    /// <summary>A workload's title: its read/write mix, and its keys' distribution unless uniform.</summary>
    public static string WorkloadName(double readRatio, string distribution = "uniform") => (readRatio switch
    {
        >= 1 => "100% read",
        <= 0 => "100% write",
        _ => Format($"{readRatio * 100:0.#}/{(1 - readRatio) * 100:0.#} read/write"),
    }) + (distribution == "uniform" ? "" : $", {distribution} keys");

    public static string ToMarkdown(CompareSummary summary)
    {
        var text = new StringBuilder();
        var labels = summary.Systems.ToDictionary(s => s.Id, s => s.Label, StringComparer.Ordinal);
        var machine = summary.Machine;
        text.AppendLine(Format($"# {summary.Title ?? "DiMint compared with other stores"}")).AppendLine();
        text.AppendLine(Format($"{summary.Timestamp:yyyy-MM-dd HH:mm} UTC on {machine.Host}: {machine.ProcessorCount} × {machine.Cpu ?? machine.Architecture}, {machine.Os}, {machine.Dotnet}."));
        text.AppendLine("Every store and the load generator (`dimint bench`, the same workers, keys, values and concurrency for all) ran on this one machine.").AppendLine();

        text.AppendLine("| system | setup | answered as |").AppendLine("|---|---|---|");
        foreach (var system in summary.Systems)
        {
            var setup = string.Join(", ", new[] { system.Version, system.Shape }.Where(s => !string.IsNullOrEmpty(s)));
            text.AppendLine(Format($"| {system.Label} | {Cell(setup)} | {Cell(system.Server)} |"));
        }

        foreach (var workload in summary.Workloads)
        {
            text.AppendLine();
            text.AppendLine(Format($"## {workload.Name}")).AppendLine();
            var bound = workload.Seconds is { } seconds ? Format($"{seconds:0.#} s measured") : "measured";
            text.AppendLine(Format($"{workload.Keys:N0} keys ({workload.Distribution}), {workload.ValueSize:N0}-byte values, {workload.Concurrency} operations in flight, {bound}.")).AppendLine();
            text.AppendLine("| system | ops/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | DiMint ÷ system |");
            text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var row in workload.Rows)
            {
                var ratio = row.DimintRatio is { } r ? Format($"{r:0.00}×") : "—";
                text.AppendLine(Format($"| {labels[row.System]} | {row.OpsPerSecond:N0} | {row.P50:0.00} | {row.P90:0.00} | {row.P99:0.00} | {row.P999:0.00} | {row.Max:0.0} | {row.Errors:N0} | {ratio} |"));
            }
        }

        if (summary.Memory.Count > 0)
        {
            var first = summary.Memory[0];
            text.AppendLine();
            text.AppendLine(Format($"## Memory for {first.Keys:N0} keys of {first.ValueSize:N0} bytes")).AppendLine();
            text.AppendLine("| system | processes | RSS before | RSS after | bytes per key | RSS ÷ data |");
            text.AppendLine("|---|--:|--:|--:|--:|--:|");
            foreach (var row in summary.Memory)
            {
                text.AppendLine(Format($"| {labels[row.System]} | {row.Processes} | {Mib(row.RssBeforeBytes)} | {Mib(row.RssAfterBytes)} | {row.BytesPerKey:N0} | {row.RssPerDataByte:0.0}× |"));
            }

            text.AppendLine();
            text.AppendLine(Format($"RSS is summed over all of a store's processes, primaries and replicas (so it holds every key twice); bytes per key = (RSS after − RSS before) ÷ keys; data = key + value bytes, counted once ({Mib(first.DataBytes)})."));
        }

        text.AppendLine();
        text.AppendLine("Errors include reads that found no value: every key was stored before the measured runs. Ratios above 1 mean DiMint did more operations per second.");
        return text.ToString();
    }

    public static async Task WriteJsonAsync(CompareSummary summary, string path, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, summary, JsonOptions, cancellationToken);
    }

    /// <exception cref="InvalidDataException">The file is not a summary.</exception>
    public static CompareSummary ReadSummary(string path) => Read<CompareSummary>(path);

    private static CompareWorkload BuildWorkload(string id, Dictionary<string, BenchResult> bySystem, IReadOnlyList<string> order)
    {
        var any = bySystem.Values.First();
        var dimint = bySystem.GetValueOrDefault(DimintId);
        var rows = order.Where(bySystem.ContainsKey).Select(system =>
        {
            var result = bySystem[system];
            var all = result.Latency.All;

            // With --no-load a missing key is a miss, not an error; the script stored every key first, so it is an error here.
            var errors = result.Errors + (result.Load is null ? result.Misses : 0);
            double? ratio = system == DimintId || dimint is null || result.OpsPerSecond <= 0 ? null : dimint.OpsPerSecond / result.OpsPerSecond;
            return new CompareRow(system, result.OpsPerSecond, all.P50, all.P90, all.P99, all.P999, all.Max, result.Operations, errors, ratio);
        }).ToList();
        var workload = any.Workload;
        return new CompareWorkload(
            id,
            WorkloadName(workload.ReadRatio, workload.Distribution),
            workload.ReadRatio,
            workload.ValueSize,
            workload.Keys,
            workload.Concurrency,
            workload.DurationSeconds,
            workload.Distribution,
            rows);
    }

    private static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private static string Cell(string? text) => string.IsNullOrEmpty(text) ? "—" : text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Mib(long bytes) => Format($"{bytes / (1024.0 * 1024):N0} MiB");

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
