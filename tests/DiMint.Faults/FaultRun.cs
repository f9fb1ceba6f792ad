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
        var seed = options.TryGetValue("--seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : Environment.TickCount & 0xFFFF;
        var randomized = options.TryGetValue("--random", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        var all = Schedules.Schedules.Long(seed, randomized);
        IReadOnlyList<Schedule> chosen = options.TryGetValue("--schedule", out var names)
            ? [.. names.Split(',').Select(n => all.FirstOrDefault(x => x.Name == n)
                ?? (n.StartsWith("random-", StringComparison.Ordinal) ? Schedules.Schedules.Random(int.Parse(n["random-".Length..], CultureInfo.InvariantCulture)) : null)
                ?? throw new ArgumentException($"Unknown schedule '{n}'. Known: {string.Join(", ", all.Select(x => x.Name))}, random-N."))]
            : options.GetValueOrDefault("--set", "long") == "short" ? Schedules.Schedules.Short : all;

        var replicationFactor = options.TryGetValue("--replication-factor", out var rf) ? int.Parse(rf, CultureInfo.InvariantCulture) : 3;
        log($"fault run: {chosen.Count} schedules, seed {seed}, replication factor {replicationFactor}");
        var results = await RunAsync(chosen, seed, log, replicationFactor);
        log(ScheduleResult.Header);
        foreach (var result in results)
        {
            log(result.Row());
        }

        foreach (var result in results.Where(x => !x.Passed))
        {
            log($"\n{result.Name} FAILED:\n{result}");
        }

        return results.All(x => x.Passed) ? 0 : 1;
    }

    /// <summary>
    /// Runs <paramref name="schedules"/> on one new cluster whose ranges have <paramref name="replicationFactor"/> copies,
    /// in order; a schedule that throws is reported as failed.
    /// </summary>
    public static async Task<IReadOnlyList<ScheduleResult>> RunAsync(IReadOnlyList<Schedule> schedules, int seed, Action<string> log, int replicationFactor = 3)
    {
        await using var cluster = await FaultCluster.StartAsync(new FaultClusterOptions { ReplicationFactor = replicationFactor }, log);
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
