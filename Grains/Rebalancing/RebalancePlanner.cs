using DiMint.Grains.Hosting;

namespace DiMint.Grains.Rebalancing;

/// <summary>
/// The overlord's balancing policy, pure (no I/O) so every decision is unit-tested: splits by the design report's 2x
/// rule (or a size cap), merges of small neighbours on the same silos, and moves of masters and replicas off silos that
/// hold more than <see cref="RebalanceOptions.MoveThreshold"/> times the mean.
/// </summary>
public static class RebalancePlanner
{
    /// <summary>
    /// The sizes above which a range is split: <see cref="RebalanceOptions.SplitRatio"/> times the smallest range's bytes
    /// and keys, where the smallest counts as at least <see cref="RebalanceOptions.SplitFloorBytes"/> (and the keys that
    /// many bytes hold at the mean entry size); <see cref="RebalanceOptions.MaxRangeBytes"/> caps the bytes.
    /// </summary>
    public static (long Bytes, long Keys) SplitLimits(IReadOnlyCollection<RangeSize> sizes, RebalanceOptions options)
    {
        if (sizes.Count == 0)
        {
            return (options.MaxRangeBytes, long.MaxValue);
        }

        long minBytes = long.MaxValue, minKeys = long.MaxValue, totalBytes = 0, totalKeys = 0;
        foreach (var size in sizes)
        {
            minBytes = Math.Min(minBytes, size.Bytes);
            minKeys = Math.Min(minKeys, size.Keys);
            totalBytes += size.Bytes;
            totalKeys += size.Keys;
        }

        var meanEntry = totalKeys == 0 ? 1 : Math.Max(1, totalBytes / totalKeys);
        var floorKeys = Math.Max(1, options.SplitFloorBytes / meanEntry);
        var bytes = (long)Math.Min(options.MaxRangeBytes, options.SplitRatio * Math.Max(minBytes, options.SplitFloorBytes));
        var keys = (long)(options.SplitRatio * Math.Max(minKeys, floorKeys));
        return (bytes, keys);
    }

    /// <summary>
    /// At most <paramref name="slots"/> operations, none on a range in <paramref name="busy"/>, that bring the cluster
    /// closer to balance. Only <paramref name="silos"/> (active, not draining) receive anything. Splits come first; merges
    /// and moves only when no range needs splitting.
    /// </summary>
    /// <param name="ring">The current ring.</param>
    /// <param name="sizes">What each range's master holds; ranges missing here are left alone.</param>
    /// <param name="silos">The silos that may hold ranges.</param>
    /// <param name="options">The policy's thresholds.</param>
    /// <param name="busy">Ranges another operation is working on.</param>
    /// <param name="slots">How many operations may start.</param>
    public static List<PlannedOperation> Plan(
        Ring ring,
        IReadOnlyDictionary<int, RangeSize> sizes,
        IReadOnlyCollection<SiloAddress> silos,
        RebalanceOptions options,
        IReadOnlySet<int> busy,
        int slots)
    {
        var plan = new List<PlannedOperation>();
        if (slots <= 0 || silos.Count == 0)
        {
            return plan;
        }

        // Looked up once per copy in the ring: a set, not the caller's list (200 silos and 10,000 ranges took 92 ms a decision).
        silos = silos as IReadOnlySet<SiloAddress> ?? silos.ToHashSet();

        PlanSplits(ring, sizes, options, busy, slots, plan);
        PlanSplitsForSilos(ring, sizes, silos.Count, options, busy, slots, plan);
        if (plan.Count > 0)
        {
            return plan;
        }

        var taken = new HashSet<int>(busy);
        PlanMerges(ring, sizes, silos, options, taken, slots, plan);
        if (plan.Count < slots)
        {
            PlanReplicaMove(ring, sizes, silos, options, taken, plan);
        }

        if (plan.Count < slots)
        {
            PlanMasterMoves(ring, sizes, silos, options, taken, slots, plan);
        }

        return plan;
    }

    private static void PlanSplits(Ring ring, IReadOnlyDictionary<int, RangeSize> sizes, RebalanceOptions options, IReadOnlySet<int> busy, int slots, List<PlannedOperation> plan)
    {
        var known = ring.Ranges.Where(r => sizes.ContainsKey(r.Id)).Select(r => sizes[r.Id]).ToArray();
        var (bytesLimit, keysLimit) = SplitLimits(known, options);
        var candidates = ring.Ranges
            .Where(r => !busy.Contains(r.Id) && sizes.TryGetValue(r.Id, out var s) && s.Keys >= 2 && (s.Bytes > bytesLimit || s.Keys > keysLimit))
            .OrderByDescending(r => sizes[r.Id].Bytes)
            .Take(slots);
        foreach (var range in candidates)
        {
            var size = sizes[range.Id];
            plan.Add(new PlannedOperation(
                RingOperationKind.Split,
                range.Id,
                size.Bytes > options.MaxRangeBytes
                    ? $"{size.Bytes} bytes, over the {options.MaxRangeBytes}-byte cap"
                    : $"{size.Bytes} bytes and {size.Keys} keys, over {options.SplitRatio:0.##}x the smallest range (limits {bytesLimit} bytes, {keysLimit} keys)"));
        }
    }

    /// <summary>
    /// Splits while the ring has fewer than <see cref="RebalanceOptions.SplitBelowRangesPerSilo"/> ranges per silo: the
    /// largest ranges first (in bytes, then in hashes), any size (a range with too few keys is split at its middle).
    /// </summary>
    private static void PlanSplitsForSilos(Ring ring, IReadOnlyDictionary<int, RangeSize> sizes, int silos, RebalanceOptions options, IReadOnlySet<int> busy, int slots, List<PlannedOperation> plan)
    {
        var wanted = (options.SplitBelowRangesPerSilo * silos) - ring.Ranges.Length - plan.Count;
        if (wanted <= 0 || plan.Count >= slots)
        {
            return;
        }

        static UInt128 Width(RangeInfo r) => (r.End == 0 ? (UInt128)ulong.MaxValue + 1 : r.End) - r.Start;
        var candidates = ring.Ranges
            .Where(r => !busy.Contains(r.Id) && sizes.ContainsKey(r.Id) && Width(r) >= 2 && !plan.Any(p => p.RangeId == r.Id))
            .OrderByDescending(r => sizes[r.Id].Bytes)
            .ThenByDescending(Width)
            .ThenBy(r => r.Id)
            .Take(Math.Min(wanted, slots - plan.Count));
        foreach (var range in candidates)
        {
            plan.Add(new PlannedOperation(
                RingOperationKind.Split,
                range.Id,
                $"{ring.Ranges.Length} ranges for {silos} silos, fewer than {options.SplitBelowRangesPerSilo} a silo: silos that join need masters to take"));
        }
    }

    private static void PlanMerges(Ring ring, IReadOnlyDictionary<int, RangeSize> sizes, IReadOnlyCollection<SiloAddress> silos, RebalanceOptions options, HashSet<int> taken, int slots, List<PlannedOperation> plan)
    {
        var rangeCount = ring.Ranges.Length;
        for (var i = 0; i + 1 < ring.Ranges.Length && plan.Count < slots && rangeCount > options.MinRangesPerSilo * silos.Count; i++)
        {
            var lower = ring.Ranges[i];
            var upper = ring.Ranges[i + 1];
            if (taken.Contains(lower.Id) || taken.Contains(upper.Id)
                || !sizes.TryGetValue(lower.Id, out var a) || !sizes.TryGetValue(upper.Id, out var b)
                || a.Bytes + b.Bytes >= options.MergeBelowBytes
                || !lower.Master.Equals(upper.Master) || !lower.Replicas.ToHashSet().SetEquals(upper.Replicas))
            {
                continue;
            }

            plan.Add(new PlannedOperation(RingOperationKind.Merge, lower.Id, $"together {a.Bytes + b.Bytes} bytes, under {options.MergeBelowBytes}, on the same silos") { OtherRangeId = upper.Id });
            taken.Add(lower.Id);
            taken.Add(upper.Id);
            rangeCount--;
        }
    }

    /// <summary>Moves one replica from the silo holding the most (count, or bytes once data is significant) to the one holding the least.</summary>
    private static void PlanReplicaMove(Ring ring, IReadOnlyDictionary<int, RangeSize> sizes, IReadOnlyCollection<SiloAddress> silos, RebalanceOptions options, HashSet<int> taken, List<PlannedOperation> plan)
    {
        var held = ring.Ranges.SelectMany(r => r.Replicas.Select(s => (Silo: s, Range: r))).Where(p => silos.Contains(p.Silo)).ToArray();
        var move = ChooseMove(
            silos,
            held,
            sizes,
            options,
            taken,
            (range, target) => !range.Master.Equals(target) && !range.Replicas.Contains(target),
            preferCheap: _ => false);
        if (move is { } m)
        {
            Add(plan, taken, RingOperationKind.MoveReplica, m);
        }
    }

    /// <summary>
    /// Moves masters from the silos holding the most to those holding the least, as many as the free slots allow (a silo
    /// that returns after a failure gets its share back in one round), preferring ranges the target already replicates
    /// (a role swap, no copy).
    /// </summary>
    private static void PlanMasterMoves(Ring ring, IReadOnlyDictionary<int, RangeSize> sizes, IReadOnlyCollection<SiloAddress> silos, RebalanceOptions options, HashSet<int> taken, int slots, List<PlannedOperation> plan)
    {
        var held = ring.Ranges.Where(r => silos.Contains(r.Master)).Select(r => (Silo: r.Master, Range: r)).ToArray();
        while (plan.Count < slots)
        {
            SiloAddress? target = null;
            var move = ChooseMove(
                silos,
                held,
                sizes,
                options,
                taken,
                (range, to) => !range.Master.Equals(to),
                preferCheap: range => target is not null && range.Replicas.Contains(target),
                onTarget: to => target = to);
            if (move is not { } m)
            {
                return;
            }

            Add(plan, taken, RingOperationKind.MoveMaster, m);

            // The next choice counts this one as made.
            var i = Array.FindIndex(held, p => p.Range.Id == m.Range.Id);
            held[i] = (m.To, m.Range);
        }
    }

    /// <summary>Plans <paramref name="move"/> as an operation of <paramref name="kind"/>, and marks its range taken.</summary>
    private static void Add(List<PlannedOperation> plan, HashSet<int> taken, RingOperationKind kind, (RangeInfo Range, SiloAddress From, SiloAddress To, string Reason) move)
    {
        plan.Add(new PlannedOperation(kind, move.Range.Id, move.Reason) { Source = move.From, Target = move.To });
        taken.Add(move.Range.Id);
    }

    /// <summary>
    /// One move from a silo holding too much to one holding too little. Counts come first: every silo holds within
    /// <see cref="RebalanceOptions.MoveThreshold"/> of the mean number of ranges (in that role). Once they do, and the data is
    /// significant, bytes: a range moves only if it is at most half the gap (the two silos never swap places) and the
    /// counts stay within the threshold (so one big range cannot pull the small ones after it).
    /// </summary>
    private static (RangeInfo Range, SiloAddress From, SiloAddress To, string Reason)? ChooseMove(
        IReadOnlyCollection<SiloAddress> silos,
        (SiloAddress Silo, RangeInfo Range)[] held,
        IReadOnlyDictionary<int, RangeSize> sizes,
        RebalanceOptions options,
        HashSet<int> taken,
        Func<RangeInfo, SiloAddress, bool> canTake,
        Func<RangeInfo, bool> preferCheap,
        Action<SiloAddress>? onTarget = null)
    {
        if (silos.Count < 2)
        {
            return null;
        }

        long SizeOf(RangeInfo r) => sizes.TryGetValue(r.Id, out var s) ? s.Bytes : 0;
        var counts = silos.ToDictionary(s => s, _ => 0L);
        var bytes = silos.ToDictionary(s => s, _ => 0L);
        foreach (var (silo, range) in held)
        {
            counts[silo]++;
            bytes[silo] += SizeOf(range);
        }

        var threshold = options.MoveThreshold;
        var meanCount = (double)counts.Values.Sum() / silos.Count;
        var byCount = Outside(counts, meanCount, threshold);
        var meanBytes = (double)bytes.Values.Sum() / silos.Count;
        if (!byCount && (meanBytes < options.MergeBelowBytes || !Outside(bytes, meanBytes, threshold)))
        {
            return null;
        }

        var load = byCount ? counts : bytes;
        var ordered = load.OrderByDescending(p => p.Value).ThenBy(p => p.Key.ToParsableString(), StringComparer.Ordinal).ToArray();
        foreach (var (heavy, heavyLoad) in ordered)
        {
            foreach (var (light, lightLoad) in ordered.Reverse())
            {
                if (lightLoad >= heavyLoad || light.Equals(heavy))
                {
                    break;
                }

                if (!byCount && (counts[heavy] - 1 < meanCount / threshold || counts[light] + 1 > meanCount * threshold))
                {
                    continue;
                }

                onTarget?.Invoke(light);
                var gap = heavyLoad - lightLoad;
                var choice = held
                    .Where(p => p.Silo.Equals(heavy) && !taken.Contains(p.Range.Id) && canTake(p.Range, light))
                    .Select(p => (p.Range, Weight: SizeOf(p.Range)))
                    .Where(c => byCount ? gap >= 2 : c.Weight > 0 && c.Weight * 2 <= gap)
                    .OrderByDescending(c => preferCheap(c.Range))
                    .ThenBy(c => byCount ? c.Weight : -c.Weight)
                    .ThenBy(c => c.Range.Id)
                    .Select(c => c.Range)
                    .FirstOrDefault();
                if (choice is not null)
                {
                    var (unit, mean) = byCount ? ("ranges", meanCount) : ("bytes", meanBytes);
                    return (choice, heavy, light, $"{heavy} holds {heavyLoad} {unit} and {light} {lightLoad}, the mean is {mean:0}: outside {threshold:0.##}x");
                }
            }
        }

        return null;
    }

    /// <summary>Whether some silo holds more than <paramref name="threshold"/> times the mean, or less than the mean over it.</summary>
    private static bool Outside(Dictionary<SiloAddress, long> load, double mean, double threshold) =>
        load.Values.Any(v => v > threshold * mean || v < mean / threshold);
}
