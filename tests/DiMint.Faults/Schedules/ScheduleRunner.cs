using System.Diagnostics;
using System.Globalization;
using System.Text;
using DiMint.Faults.Cluster;
using DiMint.Faults.History;
using DiMint.Faults.Workload;

namespace DiMint.Faults.Schedules;

/// <summary>
/// Runs one schedule on a healthy <see cref="FaultCluster"/>: starts a workload client on every client host, injects the
/// faults, heals, waits until the cluster is whole again, lets the clients read everything back, and checks their
/// histories: every acknowledged write present, and every key's history linearizable.
/// </summary>
public static class ScheduleRunner
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(120);

    /// <summary>The overlord sweeps every 10 s; a little more than two sweeps.</summary>
    private static readonly TimeSpan LeftoversLimit = TimeSpan.FromSeconds(25);
    private static int _runs;

    public static async Task<ScheduleResult> RunAsync(FaultCluster cluster, Schedule schedule, WorkloadSettings settings, int seed, Action<string> log)
    {
        try
        {
            await cluster.WaitUntilHealthyAsync(RecoveryLimit);
        }
        catch (TimeoutException ex)
        {
            // The schedule before left the cluster broken: this one is not run, and says why, so the run goes on to the next.
            return new ScheduleResult
            {
                Name = schedule.Name,
                Operations = 0,
                AcknowledgedWrites = 0,
                Lost = 0,
                Violations = 0,
                Undecided = 0,
                Recovery = TimeSpan.Zero,
                Error = $"not run: the cluster was not whole {RecoveryLimit.TotalSeconds:0} s after the schedule before: {ex.Message}",
                Details = string.Empty,
            };
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"{schedule.Name}.{Interlocked.Increment(ref _runs)}:");
        var context = new FaultContext(cluster, new Random(seed), log);
        context.Note($"schedule {schedule.Name}: {schedule.Description}");
        var clients = new List<WorkloadProcess>();
        string? error = null;
        long faultsEnded = 0, recovered = 0;
        try
        {
            for (var i = 0; i < cluster.ClientHosts.Count; i++)
            {
                clients.Add(await cluster.StartWorkloadAsync(cluster.ClientHosts[i], prefix, i + 1, settings));
            }

            await FaultContext.HoldAsync(Warmup);
            try
            {
                await schedule.InjectAsync(context);
            }
            finally
            {
                context.HealAll();
                foreach (var silo in cluster.Silos.Where(s => s.Process is null))
                {
                    await cluster.RestartAsync(silo);
                    context.Note($"restarted {silo.Host.Name}");
                }

                faultsEnded = Stopwatch.GetTimestamp();
            }

            try
            {
                await cluster.WaitUntilHealthyAsync(RecoveryLimit);
                recovered = Stopwatch.GetTimestamp();
                context.Note("the cluster is whole again");
            }
            catch (TimeoutException ex)
            {
                error = $"the cluster did not recover within {RecoveryLimit.TotalSeconds:0} s after the faults: {ex.Message}";
                recovered = Stopwatch.GetTimestamp();
            }

            await FaultContext.HoldAsync(Warmup);
            foreach (var client in clients)
            {
                try
                {
                    await client.FinishAsync(TimeSpan.FromSeconds(150));
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                {
                    error ??= ex.Message;
                }
            }

            if (error is null)
            {
                try
                {
                    await cluster.WaitUntilNoLeftoverCopiesAsync(LeftoversLimit);
                }
                catch (TimeoutException ex)
                {
                    error = $"copies left behind by the faults were not dropped: {ex.Message}";
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        var history = HistoryFile.ReadAll(clients.Select(c => c.HistoryFile));
        return Check(schedule, context, prefix, history, faultsEnded, recovered, error);
    }

    private static ScheduleResult Check(Schedule schedule, FaultContext context, string prefix, IReadOnlyList<Operation> history, long faultsEnded, long recovered, string? error)
    {
        var details = new StringBuilder();
        foreach (var line in context.Events)
        {
            details.AppendLine(line);
        }

        // Lost writes: an acknowledged write of a unique key whose last read (the final read-back) is not its value.
        var unique = prefix + "u";
        var lastReads = history.Where(o => o.Kind == OperationKind.Read && o.Outcome == OperationOutcome.Ok && o.Key.StartsWith(unique, StringComparison.Ordinal))
            .GroupBy(o => o.Key)
            .ToDictionary(g => g.Key, g => g.MaxBy(o => o.InvokedAt)!);
        var acknowledged = history.Where(o => o.Kind == OperationKind.Write && o.Outcome == OperationOutcome.Ok && o.Key.StartsWith(unique, StringComparison.Ordinal)).ToArray();
        var lost = acknowledged.Where(w => !lastReads.TryGetValue(w.Key, out var read) || read.Value != w.Value).ToArray();
        foreach (var write in lost.Take(10))
        {
            details.AppendLine(CultureInfo.InvariantCulture, $"lost: {write} -> read back {(lastReads.TryGetValue(write.Key, out var read) ? read.Value ?? "not found" : "never")}");
        }

        var check = LinearizabilityChecker.Check(history);
        if (!check.IsLinearizable)
        {
            details.AppendLine(check.Describe());
        }

        var (longest, longestRange) = LongestUnavailability(context, history, recovered);
        return new ScheduleResult
        {
            Name = schedule.Name,
            Operations = history.Count,
            AcknowledgedWrites = acknowledged.Length,
            Lost = lost.Length,
            Violations = check.Violations.Count,
            Undecided = check.KeysTimedOut.Count,
            LongestUnavailability = longest,
            LongestUnavailableRange = longestRange,
            Recovery = Stopwatch.GetElapsedTime(faultsEnded, recovered),
            Error = error,
            Details = details.ToString(),
        };
    }

    /// <summary>
    /// Over the ranges that kept a quorum of their copies on the serving side: the longest stretch, from the first fault
    /// until the cluster was whole again, in which no client completed an operation on the range; and which range.
    /// </summary>
    private static (TimeSpan? Longest, int? RangeId) LongestUnavailability(FaultContext context, IReadOnlyList<Operation> history, long recovered)
    {
        if (context.RingAtStart is not { } ring || context.FaultsStarted == 0 || context.ServingSide is not { } side)
        {
            return (null, null);
        }

        var kept = ring.Ranges
            .Where(r => r.Replicas.Prepend(r.Master).Count(s => side.Any(f => f.Is(s))) * 2 > r.Replicas.Length + 1)
            .Select(r => r.Id)
            .ToHashSet();
        var completions = history
            .Where(o => o.Outcome == OperationOutcome.Ok && o.CompletedAt >= context.FaultsStarted && o.CompletedAt <= recovered)
            .GroupBy(o => ring.Find(KeyHash.Of(o.Key)).Id)
            .ToDictionary(g => g.Key, g => g.Select(o => o.CompletedAt).Order().ToArray());
        long longest = 0;
        int? longestRange = null;
        foreach (var id in kept)
        {
            var previous = context.FaultsStarted;
            foreach (var at in completions.GetValueOrDefault(id, []).Append(recovered))
            {
                if (at - previous > longest)
                {
                    longest = at - previous;
                    longestRange = id;
                }

                previous = at;
            }
        }

        return (TimeSpan.FromSeconds((double)longest / Stopwatch.Frequency), longestRange);
    }
}
