using System.Collections.Immutable;
using DiMint.Grains.Replication;

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
            ranges.Add(new RangeInfo { Id = i + 1, Start = start, End = end, Master = ordered[i % ordered.Length], Replicas = replicas, Epoch = 1, EmptyEpoch = 1 });
        }

        var ring = new Ring { Version = FirstVersion, Ranges = ranges.MoveToImmutable(), NextRangeId = rangeCount + 1 };
        ring.Validate();
        return ring;
    }

    /// <summary>The silos <paramref name="ring"/> names, as masters or replicas.</summary>
    public static HashSet<SiloAddress> Holders(Ring ring)
    {
        var holders = new HashSet<SiloAddress>();
        foreach (var range in ring.Ranges)
        {
            holders.Add(range.Master);
            foreach (var replica in range.Replicas)
            {
                holders.Add(replica);
            }
        }

        return holders;
    }

    /// <summary>The middle of <paramref name="range"/>'s hashes: where a range with too few keys to weigh is split.</summary>
    public static ulong Midpoint(RangeInfo range) => (ulong)(range.Start + (range.Size / 2));

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
        // The halves start from the range's data (their masters find it prepared), never empty.
        var lower = range with { Id = low, End = at, EmptyEpoch = 0 };
        var upper = range with { Id = high, Start = at, EmptyEpoch = 0 };
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
    /// The range after a promotion, or null when the copies that answered cannot make one. <paramref name="answers"/> holds,
    /// for each copy (the master or a replica, by the silo the range names) that answered a fence for
    /// <paramref name="epoch"/>, the silo that answered for it (itself, or the silo that now carries its copy) and what it
    /// holds. A promotion needs answers from the range's promotion quorum (<see cref="Quorums"/> with
    /// <paramref name="writeAcks"/>): every acknowledged write is held by a write quorum of complete copies, which meets
    /// every promotion quorum, so the most advanced complete copy that answered (newest epoch, then highest sequence
    /// number) holds them all and becomes the master. A copy that is not complete (a snapshot under way) never
    /// acknowledged a write, so it counts toward the quorum; when no answering copy is complete, the range never had an
    /// acknowledged write, and it starts again empty on one of them. Every other copy stays in the range (as the silo that
    /// answered for it), the old master too when it answered. Copies that did not answer keep their places until a repair
    /// replaces them. An old master that did not answer leaves only when the new configuration without it already holds
    /// the promoted history on a write quorum (copies that answered with exactly the new master's epoch and sequence
    /// number): until the new master has sent that history to its replicas, the acknowledged writes it took over may be
    /// held by nobody else in the range but the old master, and a second promotion (the new master failing soon after)
    /// must hear from it, or it would take a replica that lacks them. Among copies that hold the same, the one on the silo
    /// with the fewest masters in <paramref name="masters"/> (when given) wins, so that a silo's failure spreads its masters
    /// over the others instead of piling them on one; but a silo that masters none loses to one that masters some: it
    /// has just started or restarted (or was drained), and a process's first masters took 150-250 ms longer to serve
    /// (activating the range grain and resuming replicas for the first time) in the failover benchmark. Rebalancing
    /// gives it masters afterwards, outside a failover.
    /// </summary>
    public static RangeInfo? Promote(
        RangeInfo range,
        IReadOnlyDictionary<SiloAddress, (SiloAddress At, ReplicaState State)> answers,
        int? writeAcks,
        long epoch,
        IReadOnlyDictionary<SiloAddress, int>? masters = null)
    {
        if (answers.Count < Quorums.Of(range.Replicas.Length, writeAcks).Promotion)
        {
            return null;
        }

        var best = answers
            .OrderByDescending(a => a.Value.State.Complete)
            .ThenByDescending(a => a.Value.State.Epoch)
            .ThenByDescending(a => a.Value.State.AppliedSeq)
            .ThenByDescending(a => a.Key.Equals(range.Master))
            .ThenBy(a => masters is not null && masters.GetValueOrDefault(a.Value.At) == 0)
            .ThenBy(a => masters?.GetValueOrDefault(a.Value.At) ?? 0)
            .ThenBy(a => a.Value.At.ToParsableString(), StringComparer.Ordinal)
            .First();
        var withoutOldMaster = range.Replicas.Count(member => !member.Equals(best.Key));
        var holdingBest = answers.Count(a => a.Value.State.Complete && a.Value.State.Epoch == best.Value.State.Epoch && a.Value.State.AppliedSeq == best.Value.State.AppliedSeq
            && (a.Key.Equals(best.Key) || !a.Key.Equals(range.Master)));
        var oldMasterLeaves = !answers.ContainsKey(range.Master) && holdingBest >= Quorums.Of(withoutOldMaster, writeAcks).Write;
        var replicas = range.Replicas.Prepend(range.Master)
            .Where(member => !member.Equals(best.Key) && (!member.Equals(range.Master) || !oldMasterLeaves))
            .Select(member => answers.TryGetValue(member, out var answer) ? answer.At : member)
            .Where(silo => !silo.Equals(best.Value.At))
            .Distinct()
            .ToImmutableArray();
        return range with
        {
            Master = best.Value.At,
            Epoch = epoch,
            Replicas = replicas,
            EmptyEpoch = best.Value.State.Complete ? range.EmptyEpoch : epoch,
        };
    }

    /// <summary>
    /// The repairs that would give every range its replication factor again: for a copy on a silo in
    /// <paramref name="failed"/> (the master's is a promotion's business), a move of that copy to a silo of
    /// <paramref name="live"/>, or, when no live silo can take it, dropping it (<c>To</c> null: the replication factor is
    /// capped by the silos left, and a range that counts a dead copy in its quorums could not be promoted again); for a
    /// range with fewer copies than <c>min(replicationFactor, live)</c>, a new replica. A copy whose silo lives on as
    /// another (<paramref name="carriers"/>: its runtime restarted) goes to that silo, which holds it already; otherwise
    /// to the live silo holding the fewest replicas that holds none of the range. Ranges in <paramref name="busy"/> are
    /// left alone.
    /// </summary>
    public static IReadOnlyList<(int RangeId, SiloAddress? From, SiloAddress? To)> PlanRepairs(
        Ring ring,
        IReadOnlyCollection<SiloAddress> live,
        IReadOnlySet<SiloAddress> failed,
        int replicationFactor,
        IReadOnlySet<int> busy,
        IReadOnlyDictionary<SiloAddress, SiloAddress>? carriers = null)
    {
        var plan = new List<(int, SiloAddress?, SiloAddress?)>();
        var replicaLoad = live.ToDictionary(s => s, _ => 0);
        foreach (var replica in ring.Ranges.SelectMany(r => r.Replicas))
        {
            if (replicaLoad.TryGetValue(replica, out var held))
            {
                replicaLoad[replica] = held + 1;
            }
        }

        foreach (var range in ring.Ranges)
        {
            if (busy.Contains(range.Id) || failed.Contains(range.Master))
            {
                continue;
            }

            var from = range.Replicas.FirstOrDefault(failed.Contains);
            if (from is null && range.Replicas.Length >= Math.Min(replicationFactor, live.Count) - 1)
            {
                // Whole: no target to look for (looking for one for every range cost 500 ms with 200 silos and 10,000 ranges).
                continue;
            }

            var target = from is not null && carriers?.GetValueOrDefault(from) is { } carrier && replicaLoad.ContainsKey(carrier)
                && !carrier.Equals(range.Master) && !range.Replicas.Contains(carrier)
                ? carrier
                : replicaLoad
                    .Where(p => !p.Key.Equals(range.Master) && !range.Replicas.Contains(p.Key))
                    .OrderBy(p => p.Value)
                    .ThenBy(p => p.Key.ToParsableString(), StringComparer.Ordinal)
                    .Select(p => p.Key)
                    .FirstOrDefault();
            if (from is not null)
            {
                plan.Add((range.Id, from, target));
            }
            else if (target is not null)
            {
                plan.Add((range.Id, null, target));
            }
            else
            {
                continue;
            }

            if (target is not null)
            {
                replicaLoad[target]++;
            }
        }

        return plan;
    }

    /// <summary>The ring with <paramref name="target"/> added to range <paramref name="rangeId"/>'s replicas.</summary>
    public static Ring AddReplica(Ring ring, int rangeId, SiloAddress target)
    {
        var index = IndexOfId(ring, rangeId);
        var range = ring.Ranges[index];
        if (range.Master.Equals(target) || range.Replicas.Contains(target))
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {target} already holds range {rangeId}.");
        }

        var next = ring with { Version = ring.Version + 1, Ranges = ring.Ranges.SetItem(index, range with { Replicas = range.Replicas.Add(target) }) };
        next.Validate();
        return next;
    }

    /// <summary>
    /// An operator's recovery of a range that cannot be promoted: its master becomes <paramref name="master"/> at
    /// <paramref name="epoch"/> (with the copy it holds, or with none when <paramref name="empty"/>: the range's data is
    /// given up); of its other copies, those on <paramref name="live"/> silos stay as replicas (none for an empty range),
    /// and repairs give it the rest.
    /// </summary>
    public static RangeInfo Recover(RangeInfo range, SiloAddress master, long epoch, bool empty, IReadOnlyCollection<SiloAddress> live) =>
        range with
        {
            Master = master,
            Epoch = epoch,
            EmptyEpoch = empty ? epoch : range.EmptyEpoch,
            Replicas = empty ? [] : [.. range.Replicas.Prepend(range.Master).Where(s => !s.Equals(master) && live.Contains(s)).Distinct()],
        };

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
