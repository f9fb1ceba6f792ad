using System.Collections.Immutable;

namespace DiMint.Grains.Overlord;

/// <summary>Pure ring planning: no I/O, no grains, so every decision is unit-tested.</summary>
public static class RingPlanner
{
    /// <summary>The version of a newly created ring.</summary>
    public const long FirstVersion = 1;

    /// <summary>
    /// A ring of <paramref name="rangeCount"/> equal ranges over <c>[0, 2^64)</c>, masters dealt round-robin over
    /// <paramref name="silos"/> (sorted, so every overlord makes the same ring from the same silos).
    /// </summary>
    public static Ring Create(IReadOnlyCollection<SiloAddress> silos, int rangeCount, int replicationFactor = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rangeCount, 1);
        if (silos.Count == 0)
        {
            throw new InvalidOperationException("No active silo to place ranges on.");
        }

        var ordered = silos.OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToArray();
        var space = (UInt128)ulong.MaxValue + 1;
        var ranges = ImmutableArray.CreateBuilder<RangeInfo>(rangeCount);
        for (var i = 0; i < rangeCount; i++)
        {
            var start = (ulong)(space * (UInt128)i / (UInt128)rangeCount);
            var end = i == rangeCount - 1 ? 0UL : (ulong)(space * (UInt128)(i + 1) / (UInt128)rangeCount);
            // Replicas on the next silos in order: distinct from the master and from each other.
            var replicas = Enumerable.Range(1, Math.Min(replicationFactor, ordered.Length) - 1)
                .Select(k => ordered[(i + k) % ordered.Length])
                .ToImmutableArray();
            ranges.Add(new RangeInfo { Id = i + 1, Start = start, End = end, Master = ordered[i % ordered.Length], Replicas = replicas, Epoch = 1 });
        }

        var ring = new Ring { Version = FirstVersion, Ranges = ranges.MoveToImmutable(), NextRangeId = rangeCount + 1 };
        ring.Validate();
        return ring;
    }

    /// <summary>
    /// The ring after splitting range <paramref name="rangeId"/> at <paramref name="at"/>: the lower half keeps
    /// <c>[Start, at)</c>, the upper half gets <c>[at, End)</c>, both on the same silos, with new ids (by default the
    /// ring's next two).
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range, <paramref name="at"/> not strictly inside it, or ids in use.</exception>
    public static (Ring Ring, RangeInfo Lower, RangeInfo Upper) Split(Ring ring, int rangeId, ulong at, int? lowerId = null, int? upperId = null)
    {
        var index = IndexOfId(ring, rangeId);
        var range = ring.Ranges[index];
        if (at <= range.Start || !range.Contains(at))
        {
            throw new RingOperationException(
                DiMintErrorCode.InvalidRingOperation,
                $"Split point 0x{at:x16} is not strictly inside range {rangeId} {range.BoundsText}.");
        }

        var low = lowerId ?? ring.NextRangeId;
        var high = upperId ?? low + 1;
        CheckNewIds(ring, low, high);
        var lower = range with { Id = low, End = at };
        var upper = range with { Id = high, Start = at };
        var next = new Ring
        {
            Version = ring.Version + 1,
            Ranges = ring.Ranges.SetItem(index, lower).Insert(index + 1, upper),
            NextRangeId = Math.Max(ring.NextRangeId, Math.Max(low, high) + 1),
        };
        next.Validate();
        return (next, lower, upper);
    }

    /// <summary>
    /// The range that merging the adjacent ranges <paramref name="lowerId"/> and <paramref name="upperId"/> makes: their
    /// bounds together, on the lower range's silos, with id <paramref name="mergedId"/> (by default the ring's next).
    /// </summary>
    /// <exception cref="RingOperationException">Unknown ranges, or ranges that are not adjacent.</exception>
    public static RangeInfo PlanMerge(Ring ring, int lowerId, int upperId, int? mergedId = null)
    {
        var lower = ring.Ranges[IndexOfId(ring, lowerId)];
        var upper = ring.Ranges[IndexOfId(ring, upperId)];
        if (lower.End != upper.Start || lower.End == 0)
        {
            throw new RingOperationException(
                DiMintErrorCode.InvalidRingOperation,
                $"Ranges {lowerId} {lower.BoundsText} and {upperId} {upper.BoundsText} are not adjacent (the first must end where the second starts).");
        }

        var id = mergedId ?? ring.NextRangeId;
        CheckNewIds(ring, id, id);
        return new RangeInfo { Id = id, Start = lower.Start, End = upper.End, Master = lower.Master, Replicas = lower.Replicas, Epoch = 1 };
    }

    /// <summary>The ring with <paramref name="merged"/> in place of the two ranges it covers (as planned by <see cref="PlanMerge"/>).</summary>
    public static Ring Merge(Ring ring, int lowerId, int upperId, RangeInfo merged)
    {
        var index = IndexOfId(ring, lowerId);
        var upperIndex = IndexOfId(ring, upperId);
        if (upperIndex != index + 1 || ring.Ranges[index].Start != merged.Start || ring.Ranges[upperIndex].End != merged.End)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Ranges {lowerId} and {upperId} no longer make range {merged.Id} {merged.BoundsText}.");
        }

        CheckNewIds(ring, merged.Id, merged.Id);
        var next = new Ring
        {
            Version = ring.Version + 1,
            Ranges = ring.Ranges.RemoveAt(upperIndex).SetItem(index, merged),
            NextRangeId = Math.Max(ring.NextRangeId, merged.Id + 1),
        };
        next.Validate();
        return next;
    }

    /// <summary>
    /// The ring after range <paramref name="rangeId"/>'s master moves to <paramref name="target"/> with the next epoch. A
    /// target that was a replica swaps roles with the old master (which stays a replica); otherwise the old master leaves.
    /// </summary>
    public static Ring MoveMaster(Ring ring, int rangeId, SiloAddress target)
    {
        var index = IndexOfId(ring, rangeId);
        var range = ring.Ranges[index];
        if (range.Master.Equals(target))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {target} already holds the master of range {rangeId}.");
        }

        var replicas = range.Replicas.Contains(target) ? range.Replicas.Remove(target).Add(range.Master) : range.Replicas;
        var next = ring with { Version = ring.Version + 1, Ranges = ring.Ranges.SetItem(index, range with { Master = target, Epoch = range.Epoch + 1, Replicas = replicas }) };
        next.Validate();
        return next;
    }

    /// <summary>The ring after range <paramref name="rangeId"/>'s replica on <paramref name="from"/> moves to <paramref name="target"/>.</summary>
    public static Ring MoveReplica(Ring ring, int rangeId, SiloAddress from, SiloAddress target)
    {
        var index = IndexOfId(ring, rangeId);
        var range = ring.Ranges[index];
        if (!range.Replicas.Contains(from) || range.Master.Equals(target) || range.Replicas.Contains(target))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range {rangeId} has no replica on {from} to move to {target}, or {target} already holds it.");
        }

        var next = ring with { Version = ring.Version + 1, Ranges = ring.Ranges.SetItem(index, range with { Replicas = range.Replicas.Replace(from, target) }) };
        next.Validate();
        return next;
    }

    /// <summary>The ring without range <paramref name="rangeId"/>'s replica on <paramref name="silo"/>.</summary>
    public static Ring DropReplica(Ring ring, int rangeId, SiloAddress silo)
    {
        var index = IndexOfId(ring, rangeId);
        var range = ring.Ranges[index];
        var next = ring with { Version = ring.Version + 1, Ranges = ring.Ranges.SetItem(index, range with { Replicas = range.Replicas.Remove(silo) }) };
        next.Validate();
        return next;
    }

    private static int IndexOfId(Ring ring, int rangeId)
    {
        for (var i = 0; i < ring.Ranges.Length; i++)
        {
            if (ring.Ranges[i].Id == rangeId)
            {
                return i;
            }
        }

        throw new RingOperationException(DiMintErrorCode.UnknownRange, $"Range {rangeId} is not in ring version {ring.Version}.");
    }

    private static void CheckNewIds(Ring ring, int low, int high)
    {
        foreach (var range in ring.Ranges)
        {
            if (range.Id == low || range.Id == high)
            {
                throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Range id {range.Id} is in use.");
            }
        }
    }

    /// <summary>
    /// The ring after the silos in <paramref name="failed"/> are gone: each range whose master failed gets as master
    /// the complete replica that follows the newest master epoch with the highest applied sequence number
    /// (<paramref name="replicaStates"/>, as the replicas
    /// answered), and the next epoch; failed replicas leave their ranges. A range some surviving replica of which did
    /// not answer is left for a later round. A range with no complete replica left gets an empty master on the least
    /// loaded of <paramref name="live"/>: its data is lost. Null when nothing changes.
    /// </summary>
    public static Ring? Failover(
        Ring ring,
        IReadOnlySet<SiloAddress> failed,
        IReadOnlyDictionary<(int RangeId, SiloAddress Silo), ReplicaState> replicaStates,
        IReadOnlyCollection<SiloAddress> live)
    {
        var ranges = ring.Ranges.ToBuilder();
        var changed = false;
        var load = live.ToDictionary(s => s, s => ring.Ranges.Count(r => r.Master.Equals(s)));
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var survivors = range.Replicas.Where(r => !failed.Contains(r)).ToImmutableArray();
            if (failed.Contains(range.Master))
            {
                // Every surviving replica must have answered (and so been fenced): the one that did not may hold the
                // newest acknowledged writes. Such a range waits for the next round.
                if (survivors.Any(s => !replicaStates.ContainsKey((range.Id, s))))
                {
                    continue;
                }

                var best = survivors
                    .Select(s => (Silo: s, State: replicaStates.GetValueOrDefault((range.Id, s))))
                    .Where(c => c.State is { Complete: true })
                    .OrderByDescending(c => c.State!.Epoch)
                    .ThenByDescending(c => c.State!.AppliedSeq)
                    .ThenBy(c => c.Silo.ToParsableString(), StringComparer.Ordinal)
                    .Select(c => c.Silo)
                    .FirstOrDefault();
                if (best is null)
                {
                    if (load.Count == 0)
                    {
                        continue;
                    }

                    best = load.OrderBy(p => p.Value).ThenBy(p => p.Key.ToParsableString(), StringComparer.Ordinal).First().Key;
                    survivors = [];
                }

                if (load.ContainsKey(best))
                {
                    load[best]++;
                }

                ranges[i] = range with { Master = best, Epoch = range.Epoch + 1, Replicas = survivors.Remove(best) };
                changed = true;
            }
            else if (survivors.Length != range.Replicas.Length)
            {
                ranges[i] = range with { Replicas = survivors };
                changed = true;
            }
        }

        if (!changed)
        {
            return null;
        }

        var next = ring with { Version = ring.Version + 1, Ranges = ranges.ToImmutable() };
        next.Validate();
        return next;
    }

    /// <summary>
    /// The ring after giving every range up to <c>min(replicationFactor, live) - 1</c> replicas on <paramref name="live"/>
    /// silos other than its master and its replicas, each time on the silo holding the fewest replicas. Null when every
    /// range has its replicas.
    /// </summary>
    public static Ring? FillReplicas(Ring ring, IReadOnlyCollection<SiloAddress> live, int replicationFactor)
    {
        var wanted = Math.Min(replicationFactor, live.Count) - 1;
        if (wanted <= 0)
        {
            return null;
        }

        var replicaLoad = live.ToDictionary(s => s, s => ring.Ranges.Count(r => r.Replicas.Contains(s)));
        var ranges = ring.Ranges.ToBuilder();
        var changed = false;
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            var replicas = range.Replicas.ToList();
            while (replicas.Count < wanted)
            {
                var candidate = replicaLoad
                    .Where(p => !p.Key.Equals(range.Master) && !replicas.Contains(p.Key))
                    .OrderBy(p => p.Value)
                    .ThenBy(p => p.Key.ToParsableString(), StringComparer.Ordinal)
                    .Select(p => p.Key)
                    .FirstOrDefault();
                if (candidate is null)
                {
                    break;
                }

                replicas.Add(candidate);
                replicaLoad[candidate]++;
            }

            if (!replicas.SequenceEqual(range.Replicas))
            {
                ranges[i] = range with { Replicas = [.. replicas] };
                changed = true;
            }
        }

        if (!changed)
        {
            return null;
        }

        var next = ring with { Version = ring.Version + 1, Ranges = ranges.ToImmutable() };
        next.Validate();
        return next;
    }

    /// <summary>
    /// The hash at which to split entries so both halves hold nearly equal bytes: the upper half starts at the
    /// returned hash. Null when the entries have fewer than two distinct hashes (nothing to divide).
    /// </summary>
    /// <param name="points">Each entry's hash and size.</param>
    /// <param name="rangeStart">The range's start: the split point must be above it.</param>
    public static ulong? ChooseSplitPoint(List<(ulong Hash, long Bytes)> points, ulong rangeStart)
    {
        if (points.Count < 2)
        {
            return null;
        }

        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        long total = 0;
        foreach (var point in points)
        {
            total += point.Bytes;
        }

        // Walk distinct hashes; pick the boundary whose lower side is closest to half of the total.
        ulong? best = null;
        var bestDistance = long.MaxValue;
        long below = 0;
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0 && points[i].Hash != points[i - 1].Hash && points[i].Hash > rangeStart)
            {
                var distance = Math.Abs((2 * below) - total);
                if (distance < bestDistance)
                {
                    bestDistance = distance;
                    best = points[i].Hash;
                }
            }

            below += points[i].Bytes;
        }

        return best;
    }
}
