namespace DiMint.Faults.History;

/// <summary>
/// Shrinks a key's non-linearizable history to a small one that still fails, by delta debugging (Zeller's ddmin):
/// keep only one chunk, or drop one chunk, while the rest still fails; split into twice as many chunks when neither
/// works; stop when no single operation can go.
/// </summary>
/// <remarks>
/// Every candidate goes through <see cref="HistoryFilter.Closed"/>: dropping a write also drops the reads that
/// returned its value, and an unknown write nobody reads any more goes too. That keeps each candidate meaningful: for
/// a register with unique values, deleting a write together with the reads of its value (or deleting any read) turns
/// a linearization of the whole history into one of the rest, since every remaining read keeps the write it read
/// from as the last write before it. So a failing candidate proves the original fails, and the minimal history shows
/// a real anomaly (a stale read, a lost write, a read from the future), never an artificial "value nobody wrote".
/// With duplicate written values (outside the harness's contract) a read's writer is ambiguous and that proof is lost.
/// </remarks>
internal static class HistoryShrinker
{
    public static (List<Operation> History, bool IsMinimal) Shrink(
        IReadOnlyList<Operation> failing,
        TimeSpan budget,
        TimeSpan timeoutPerCheck)
    {
        var deadline = Deadline.After(budget);
        var inconclusive = false;
        var current = failing.OrderBy(o => o.InvokedAt).ToList();
        var granularity = 2;
        while (current.Count >= 2)
        {
            if (Deadline.HasPassed(deadline))
            {
                return (current, false);
            }

            // Only the last round (single operations, none removable) decides whether the result is 1-minimal.
            inconclusive = false;
            var chunks = Split(current.Count, granularity);
            var reduced = TryReduce(chunks.Select(c => HistoryFilter.Closed(current.GetRange(c.Start, c.Length))));
            if (reduced)
            {
                granularity = 2;
                continue;
            }

            reduced = TryReduce(chunks.Select(c => HistoryFilter.Closed(current.Take(c.Start).Concat(current.Skip(c.Start + c.Length)))));
            if (reduced)
            {
                granularity = Math.Max(granularity - 1, 2);
                continue;
            }

            if (granularity >= current.Count)
            {
                break;
            }

            granularity = Math.Min(granularity * 2, current.Count);
        }

        return (current, !inconclusive);

        bool TryReduce(IEnumerable<List<Operation>> candidates)
        {
            foreach (var candidate in candidates)
            {
                if (candidate.Count == 0 || candidate.Count >= current.Count)
                {
                    continue;
                }

                if (Deadline.HasPassed(deadline))
                {
                    inconclusive = true;
                    return false;
                }

                var checkDeadline = Math.Min(deadline, Deadline.After(timeoutPerCheck));
                var verdict = RegisterSearch.Run(new KeyHistory(candidate), checkDeadline, explain: false).Verdict;
                if (verdict == SearchVerdict.NotLinearizable)
                {
                    current = candidate;
                    return true;
                }

                inconclusive |= verdict == SearchVerdict.TimedOut;
            }

            return false;
        }
    }

    private static List<(int Start, int Length)> Split(int count, int parts)
    {
        var chunks = new List<(int Start, int Length)>(parts);
        for (var i = 0; i < parts; i++)
        {
            var start = i * count / parts;
            var end = (i + 1) * count / parts;
            chunks.Add((start, end - start));
        }

        return chunks;
    }
}
