using DiMint.Faults.History;

namespace DiMint.Faults.Tests.History;

/// <summary>
/// Histories of a simulated, correct register store: each operation takes effect at a random point inside
/// [invocation, completion], so every generated history is linearizable by construction.
/// </summary>
internal static class RandomHistory
{
    public static List<Operation> Generate(
        int seed,
        int processes,
        int keys,
        int operations,
        double unknownRate = 0.004,
        double failedRate = 0.002)
    {
        var random = new Random(seed);
        var free = new PriorityQueue<int, long>();
        for (var p = 0; p < processes; p++)
        {
            free.Enqueue(p, random.Next(10));
        }

        var history = new Operation[operations];
        var effects = new List<(long At, int Index)>();
        for (var i = 0; i < operations; i++)
        {
            free.TryDequeue(out var process, out var invoked);
            var key = "k" + random.Next(keys);
            var isWrite = random.Next(2) == 0;
            var duration = random.Next(20) == 0 ? 1 + random.Next(300) : 1 + random.Next(20);
            var completed = invoked + duration;
            var roll = random.NextDouble();
            var outcome = roll < failedRate ? OperationOutcome.Failed
                : roll < failedRate + unknownRate ? OperationOutcome.Unknown
                : OperationOutcome.Ok;
            history[i] = new Operation(process, key, isWrite ? OperationKind.Write : OperationKind.Read,
                isWrite ? "v" + i : null, invoked, completed, outcome);

            if (outcome == OperationOutcome.Ok)
            {
                effects.Add((invoked + random.NextInt64(duration + 1), i));
            }
            else if (outcome == OperationOutcome.Unknown && isWrite && random.Next(2) == 0)
            {
                // A timed-out write that still lands, possibly long after the client gave up on it.
                effects.Add((invoked + random.NextInt64((10 * duration) + 1), i));
            }

            // A gap of 0 makes the next invocation share the tick of this completion.
            free.Enqueue(process, completed + random.Next(4));
        }

        // Replay in linearization order to fill in what each Ok read returned.
        var register = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (_, index) in effects.OrderBy(e => e.At).ThenBy(e => e.Index))
        {
            var operation = history[index];
            if (operation.Kind == OperationKind.Write)
            {
                register[operation.Key] = operation.Value;
            }
            else
            {
                history[index] = operation with { Value = register.GetValueOrDefault(operation.Key) };
            }
        }

        return [.. history];
    }

    /// <summary>
    /// Replaces the value of one Ok read with a stale one: the value of a write W1 that a later write W2 (invoked after
    /// W1 completed) overwrote before the read was invoked.
    /// </summary>
    public static (List<Operation> History, Operation StaleRead, Operation Original) PlantStaleRead(List<Operation> history, int seed)
    {
        var random = new Random(seed);
        var byKey = history.Where(o => o.Outcome == OperationOutcome.Ok).GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var group in byKey.OrderBy(_ => random.Next()))
        {
            var writes = group.Where(o => o.Kind == OperationKind.Write).OrderBy(o => o.InvokedAt).ToList();
            var reads = group.Where(o => o.Kind == OperationKind.Read).OrderBy(o => o.InvokedAt).ToList();
            foreach (var first in writes.Skip(writes.Count / 3))
            {
                var second = writes.FirstOrDefault(w => w.InvokedAt > first.CompletedAt);
                var read = second is null ? null : reads.FirstOrDefault(r => r.InvokedAt > second.CompletedAt);
                if (read is null)
                {
                    continue;
                }

                var stale = read with { Value = first.Value };
                var planted = history.Select(o => ReferenceEquals(o, read) ? stale : o).ToList();
                return (planted, stale, read);
            }
        }

        throw new InvalidOperationException("No place to plant a stale read.");
    }
}
