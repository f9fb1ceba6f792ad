using System.Globalization;
using DiMint.Faults.Cluster;
using DiMint.Faults.Schedules;
using DiMint.Faults.Workload;

namespace DiMint.Faults;

/// <summary>The <c>run</c> mode: a lab cluster, the chosen schedules one after another, and the report.</summary>
public static class FaultRun
{
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options, Action<string> log)
    {
        var seed = Number(options, "--seed", Environment.TickCount & 0xFFFF);
        var randomized = Number(options, "--random", 3);
        var all = Schedules.Schedules.Long(seed, randomized);
        IReadOnlyList<Schedule> chosen = options.TryGetValue("--schedule", out var names)
            ? [.. names.Split(',').Select(n => all.FirstOrDefault(x => x.Name == n)
                ?? (n.StartsWith("random-", StringComparison.Ordinal) ? Schedules.Schedules.Random(int.Parse(n["random-".Length..], CultureInfo.InvariantCulture)) : null)
                ?? throw new ArgumentException($"Unknown schedule '{n}'. Known: {string.Join(", ", all.Select(x => x.Name))}, random-N."))]
            : options.GetValueOrDefault("--set", "long") == "short" ? Schedules.Schedules.Short : all;

        var replicationFactor = Number(options, "--replication-factor", 3);
        var silos = Number(options, "--silos", 5);
        var repeat = Number(options, "--repeat", 1);
        chosen = [.. Enumerable.Repeat(chosen, repeat).SelectMany(x => x)];
        log($"fault run: {chosen.Count} schedules, seed {seed}, {silos} silos, replication factor {replicationFactor}");
        var results = await RunAsync(chosen, seed, log, new FaultClusterOptions { Silos = silos, ReplicationFactor = replicationFactor });
        log(ScheduleResult.Header);
        foreach (var result in results)
        {
            log(result.Row());
        }

        foreach (var runs in results.GroupBy(x => x.Name).Where(g => g.Count() > 1))
        {
            // The failover benchmark: the longest unavailability of each run of one schedule, as a distribution.
            var longest = runs.Select(x => x.LongestUnavailability?.TotalMilliseconds ?? double.NaN).Where(x => !double.IsNaN(x)).Order().ToArray();
            if (longest.Length > 0)
            {
                log(string.Create(CultureInfo.InvariantCulture,
                    $"{runs.Key} x{longest.Length} on {silos} silos: longest unavailability median {longest[(longest.Length - 1) / 2]:0} ms, worst {longest[^1]:0} ms ({string.Join(", ", longest.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))})"));
            }
        }

        foreach (var result in results.Where(x => !x.Passed))
        {
            log($"\n{result.Name} FAILED:\n{result}");
        }

        return results.All(x => x.Passed) ? 0 : 1;
    }

    /// <summary>The whole number option <paramref name="name"/> holds, or <paramref name="otherwise"/>; one given twice, or not a number, is refused.</summary>
    private static int Number(IReadOnlyDictionary<string, string> options, string name, int otherwise) =>
        !options.TryGetValue(name, out var text) ? otherwise
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ArgumentException($"{name} takes one whole number, not '{text}'{(text.Contains(',', StringComparison.Ordinal) ? " (given more than once?)" : string.Empty)}.");

    /// <summary>
    /// Runs <paramref name="schedules"/> on one new cluster shaped by <paramref name="shape"/> (5 silos, replication factor
    /// 3, by default), in order; a schedule that throws is reported as failed.
    /// </summary>
    public static async Task<IReadOnlyList<ScheduleResult>> RunAsync(IReadOnlyList<Schedule> schedules, int seed, Action<string> log, FaultClusterOptions? shape = null)
    {
        await using var cluster = await FaultCluster.StartAsync(shape ?? new FaultClusterOptions(), log);
        log($"lab cluster ready; logs and histories in {cluster.Directory}");
        var results = new List<ScheduleResult>();
        foreach (var schedule in schedules)
        {
            var result = await ScheduleRunner.RunAsync(cluster, schedule, new WorkloadSettings(), seed, log);
            log(result.Row());
            results.Add(result);
        }

        return results;
    }
}
