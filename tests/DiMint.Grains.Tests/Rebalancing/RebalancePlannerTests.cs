using System.Net;
using CsCheck;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Rebalancing;

namespace DiMint.Grains.Tests.Rebalancing;

/// <summary>The pure parts of rebalancing: ring changes of every operation, and the policy's decisions.</summary>
[Trait("Category", "Unit")]
public sealed class RebalancePlannerTests
{
    private const long MiB = 1024 * 1024;

    private static readonly SiloAddress[] Silos = Enumerable.Range(0, 5)
        .Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111 + i), 1))
        .ToArray();

    private static readonly HashSet<int> NoneBusy = [];

    [Fact]
    public void RandomOperations_NeverLeaveAGapOrOverlap_AndKeepRangesOnDistinctSilos()
    {
        var mostSplits = 0;
        var gate = new Lock();
        Gen.Select(Gen.Int[0, 3], Gen.ULong, Gen.Int[0, 1000]).Array[1, 40].Sample(operations =>
        {
            var ring = RingPlanner.Create(Silos[..4], 8, replicationFactor: 3);
            var (splits, merges) = (0, 0);
            foreach (var (kind, hash, pick) in operations)
            {
                var range = ring.Ranges[pick % ring.Ranges.Length];
                var other = Silos[pick % Silos.Length];
                Ring next;
                switch (kind)
                {
                    case 0 when hash != ring.Find(hash).Start:
                        // Each operation splits at its own hash, in whichever range holds it.
                        var (split, lower, upper) = RingPlanner.Split(ring, ring.Find(hash).Id, hash);
                        Assert.Equal((ring.Find(hash).Start, hash, hash, ring.Find(hash).End), (lower.Start, lower.End, upper.Start, upper.End));
                        next = split;
                        splits++;
                        break;
                    case 1 when ring.Ranges.IndexOf(range) + 1 < ring.Ranges.Length:
                        var above = ring.Ranges[ring.Ranges.IndexOf(range) + 1];
                        var merged = RingPlanner.PlanMerge(ring, range.Id, above.Id);
                        Assert.Equal((range.Start, above.End), (merged.Start, merged.End));
                        next = RingPlanner.Merge(ring, range.Id, above.Id, merged);
                        merges++;
                        break;
                    case 2 when !range.Master.Equals(other):
                        next = RingPlanner.MoveMaster(ring, range.Id, other);
                        break;
                    case 3 when !range.Replicas.IsEmpty && !range.Master.Equals(other) && !range.Replicas.Contains(other):
                        next = RingPlanner.MoveReplica(ring, range.Id, range.Replicas[0], other);
                        break;
                    default:
                        continue;
                }

                AssertCoversTheRingOnce(next);
                Assert.Equal(ring.Version + 1, next.Version);
                Assert.Equal(8 + splits - merges, next.Ranges.Length);
                Assert.All(next.Ranges, r => Assert.Equal(3, r.Replicas.Append(r.Master).Distinct().Count()));
                Assert.Equal(next.Ranges.Length, next.Ranges.Select(r => r.Id).Distinct().Count());
                ring = next;
            }

            lock (gate)
            {
                mostSplits = Math.Max(mostSplits, splits);
            }
        }, iter: 300);

        // The samples are sequences of splits, not one split each.
        Assert.True(mostSplits >= 5, $"at most {mostSplits} splits in a sample");
    }

    [Fact]
    public void Merge_OfRangesThatAreNotAdjacent_IsRefused()
    {
        var ring = RingPlanner.Create(Silos[..3], 6);

        var error = Assert.Throws<RingOperationException>(() => RingPlanner.PlanMerge(ring, ring.Ranges[0].Id, ring.Ranges[2].Id));

        Assert.Equal(DiMintErrorCode.InvalidRingOperation, error.Code);
        Assert.Equal(DiMintErrorCode.UnknownRange, Assert.Throws<RingOperationException>(() => RingPlanner.PlanMerge(ring, 1, 999)).Code);
    }

    [Fact]
    public void MoveMaster_ToAReplica_SwapsRoles_ElsewhereTheOldMasterLeaves()
    {
        var ring = RingPlanner.Create(Silos[..4], 4, replicationFactor: 2);
        var range = ring.Ranges[0];

        var swapped = RingPlanner.MoveMaster(ring, range.Id, range.Replicas[0]).FindById(range.Id)!;
        var outsider = Silos[..4].First(s => !s.Equals(range.Master) && !range.Replicas.Contains(s));
        var moved = RingPlanner.MoveMaster(ring, range.Id, outsider).FindById(range.Id)!;

        Assert.Equal((range.Replicas[0], range.Epoch + 1), (swapped.Master, swapped.Epoch));
        Assert.Equal([range.Master], swapped.Replicas.ToArray());
        Assert.Equal((outsider, range.Epoch + 1), (moved.Master, moved.Epoch));
        Assert.Equal(range.Replicas.ToArray(), moved.Replicas.ToArray());
    }

    [Fact]
    public void Policy_SplitsTheRangesOverTwiceTheSmallest_LargestFirst()
    {
        var ring = RingPlanner.Create(Silos[..2], 4);
        var sizes = Sizes(ring, 100 * MiB, 900 * MiB, 250 * MiB, 180 * MiB);

        var plan = RebalancePlanner.Plan(ring, sizes, Silos[..2], new RebalanceOptions(), NoneBusy, slots: 5);

        Assert.Equal([ring.Ranges[1].Id, ring.Ranges[2].Id], plan.Select(p => p.RangeId));
        Assert.All(plan, p => Assert.Equal(RingOperationKind.Split, p.Kind));
    }

    [Fact]
    public void Policy_SplitsAboveTheCap_AndLeavesTinyRangesAlone()
    {
        var ring = RingPlanner.Create(Silos[..2], 4);
        var options = new RebalanceOptions { MaxRangeBytes = 512 * MiB };

        Assert.DoesNotContain(RebalancePlanner.Plan(ring, Sizes(ring, 0, 50 * MiB, 10, 1 * MiB), Silos[..2], options, NoneBusy, 5), p => p.Kind == RingOperationKind.Split);
        var capped = RebalancePlanner.Plan(ring, Sizes(ring, 600 * MiB, 700 * MiB, 500 * MiB, 400 * MiB), Silos[..2], options, NoneBusy, 5);
        Assert.Equal([ring.Ranges[1].Id, ring.Ranges[0].Id], capped.Select(p => p.RangeId));
    }

    [Fact]
    public void Policy_SkewedKeys_SplitUntilTheTwoXRuleHolds()
    {
        // All data in one range, 64 MiB of 128-byte entries; the other five are empty, so the smallest counts as the 1 MiB
        // floor (8192 entries): a range is split while it holds more than 2 MiB or 16384 entries. Splitting at the byte
        // median, as the masters do, halves it five times: 32 ranges of exactly 2 MiB, which the rule leaves alone.
        var options = new RebalanceOptions { SplitFloorBytes = 1 * MiB };
        var created = RingPlanner.Create(Silos[..3], 6);
        var (ring, hot) = (created, created.Ranges[0]);
        var sizes = ring.Ranges.ToDictionary(r => r.Id, r => r.Id == hot.Id ? new RangeSize(64 * MiB / 128, 64 * MiB) : new RangeSize(0, 0));
        for (var round = 0; ; round++)
        {
            Assert.True(round < 40, "the splits settle");
            var plan = RebalancePlanner.Plan(ring, sizes, Silos[..3], options, NoneBusy, slots: 2);
            if (!plan.Any(p => p.Kind == RingOperationKind.Split))
            {
                break;
            }

            Assert.All(plan, p => Assert.Equal(RingOperationKind.Split, p.Kind));
            foreach (var split in plan)
            {
                var range = ring.FindById(split.RangeId)!;
                var (next, lower, upper) = RingPlanner.Split(ring, range.Id, (ulong)(range.Start + (range.Size / 2)));
                var half = new RangeSize(sizes[range.Id].Keys / 2, sizes[range.Id].Bytes / 2);
                sizes.Remove(range.Id);
                sizes[lower.Id] = half;
                sizes[upper.Id] = half;
                ring = next;
            }
        }

        var fromHot = ring.Ranges.Where(r => hot.Contains(r.Start)).ToArray();
        Assert.Equal(32, fromHot.Length);
        Assert.All(fromHot, r => Assert.Equal(new RangeSize(16384, 2 * MiB), sizes[r.Id]));
        Assert.Equal(hot.End, fromHot[^1].End);
        Assert.Equal(created.Ranges[1..].Select(r => r.Id), ring.Ranges.Except(fromHot).Select(r => r.Id));
    }

    [Fact]
    public void Policy_MergesSmallNeighboursOnTheSameSilos_OnlyAboveTheRangeFloor()
    {
        var ring = RingPlanner.Create(Silos[..1], 6);
        var sizes = Sizes(ring, 1 * MiB, 1 * MiB, 1 * MiB, 1 * MiB, 10 * MiB, 1 * MiB);

        var merges = RebalancePlanner.Plan(ring, sizes, Silos[..1], new RebalanceOptions { MinRangesPerSilo = 2 }, NoneBusy, slots: 5);
        var none = RebalancePlanner.Plan(ring, sizes, Silos[..1], new RebalanceOptions { MinRangesPerSilo = 6 }, NoneBusy, slots: 5);

        Assert.Equal([(ring.Ranges[0].Id, ring.Ranges[1].Id), (ring.Ranges[2].Id, ring.Ranges[3].Id)], merges.Select(p => (p.RangeId, p.OtherRangeId!.Value)));
        Assert.Empty(none);
    }

    [Fact]
    public void Policy_AJoiningSilo_GetsReplicasByCopy_ThenMastersBySwap()
    {
        var ring = RingPlanner.Create(Silos[..3], 24, replicationFactor: 3);
        var sizes = Sizes(ring, [.. Enumerable.Repeat(0L, 24)]);
        var joined = Silos[3];

        var first = Assert.Single(RebalancePlanner.Plan(ring, sizes, Silos[..4], new RebalanceOptions(), NoneBusy, slots: 1));
        Assert.Equal((RingOperationKind.MoveReplica, joined), (first.Kind, first.Target));

        // Once it holds replicas, masters come by role swaps with ranges it replicates.
        var withReplicas = ring;
        foreach (var range in ring.Ranges.Take(12))
        {
            withReplicas = RingPlanner.MoveReplica(withReplicas, range.Id, range.Replicas[0], joined);
        }

        var master = RebalancePlanner.Plan(withReplicas, sizes, Silos[..4], new RebalanceOptions(), NoneBusy, slots: 1).Single();
        Assert.Equal((RingOperationKind.MoveMaster, joined), (master.Kind, master.Target));
        Assert.Contains(joined, withReplicas.FindById(master.RangeId)!.Replicas);
    }

    [Fact]
    public void Policy_ASiloBackFromAFailure_GetsMastersBackBySwaps_AsManyAsTheSlotsAllow()
    {
        // Silo 3 lost every master to promotions while it was down; it is a replica of those ranges now (and of too
        // many: one slot goes to moving a replica off it).
        var ring = RingPlanner.Create(Silos[..4], 16, replicationFactor: 3);
        var back = Silos[3];
        foreach (var range in ring.Ranges.Where(r => r.Master.Equals(back)))
        {
            ring = RingPlanner.MoveMaster(ring, range.Id, range.Replicas[0]);
        }

        Assert.DoesNotContain(ring.Ranges, r => r.Master.Equals(back));
        var plan = RebalancePlanner.Plan(ring, Sizes(ring, [.. Enumerable.Repeat(0L, 16)]), Silos[..4], new RebalanceOptions(), NoneBusy, slots: 3);

        var masters = plan.Where(p => p.Kind == RingOperationKind.MoveMaster).ToArray();
        Assert.Equal(2, masters.Length);
        Assert.All(masters, p => Assert.Equal(back, p.Target));
        Assert.All(masters, p => Assert.Contains(back, ring.FindById(p.RangeId)!.Replicas));
        Assert.Equal(3, plan.Select(p => p.RangeId).Distinct().Count());
    }

    [Fact]
    public void Policy_MovesMasterBytesOffAHotSilo_AndLeavesBusyRangesAlone()
    {
        var ring = RingPlanner.Create(Silos[..2], 16);
        var hot = ring.Ranges.Where(r => r.Master.Equals(ring.Ranges[0].Master)).Select(r => r.Id).ToHashSet();
        var sizes = ring.Ranges.ToDictionary(r => r.Id, r => new RangeSize(1000, hot.Contains(r.Id) ? 20 * MiB : 5 * MiB));

        var move = Assert.Single(RebalancePlanner.Plan(ring, sizes, Silos[..2], new RebalanceOptions(), NoneBusy, slots: 3));
        var busy = RebalancePlanner.Plan(ring, sizes, Silos[..2], new RebalanceOptions(), hot, slots: 3);

        Assert.Equal(RingOperationKind.MoveMaster, move.Kind);
        Assert.Contains(move.RangeId, hot);
        Assert.Equal(ring.Ranges[1].Master, move.Target);
        Assert.Empty(busy);
    }

    [Fact]
    public void Policy_OneBigRange_IsNotBouncedBetweenSilos_NorPullsTheSmallOnesAfterIt()
    {
        var ring = RingPlanner.Create(Silos[..3], 24, replicationFactor: 2);
        var big = ring.Ranges[0].Id;
        var sizes = ring.Ranges.ToDictionary(r => r.Id, r => new RangeSize(1000, r.Id == big ? 50 * MiB : 100_000));

        // Applied round after round, the plan settles within a few small moves and never touches the big range.
        var rounds = 0;
        for (var plan = Plan(); plan.Count > 0; plan = Plan())
        {
            Assert.True(++rounds < 10, "the policy settles");
            Assert.DoesNotContain(plan, p => p.RangeId == big);
            foreach (var p in plan)
            {
                ring = p.Kind == RingOperationKind.MoveMaster
                    ? RingPlanner.MoveMaster(ring, p.RangeId, p.Target!)
                    : RingPlanner.MoveReplica(ring, p.RangeId, p.Source!, p.Target!);
            }
        }

        var masters = ring.Ranges.GroupBy(r => r.Master).Select(g => g.Count()).ToArray();
        Assert.All(masters, m => Assert.InRange(m, 24 / 3 / 1.25, 24 / 3 * 1.25));

        List<PlannedOperation> Plan() => RebalancePlanner.Plan(ring, sizes, Silos[..3], new RebalanceOptions(), NoneBusy, slots: 2);
    }

    [Fact]
    public void Policy_ABalancedCluster_PlansNothing()
    {
        var ring = RingPlanner.Create(Silos[..3], 24, replicationFactor: 3);

        Assert.Empty(RebalancePlanner.Plan(ring, Sizes(ring, [.. Enumerable.Repeat(5 * MiB, 24)]), Silos[..3], new RebalanceOptions(), NoneBusy, slots: 2));
    }

    /// <summary>Ranges in order from 0, each starting where the one before ends, the last ending at 2^64 (End 0).</summary>
    private static void AssertCoversTheRingOnce(Ring ring)
    {
        Assert.Equal(0UL, ring.Ranges[0].Start);
        Assert.Equal(0UL, ring.Ranges[^1].End);
        for (var i = 0; i + 1 < ring.Ranges.Length; i++)
        {
            Assert.True(ring.Ranges[i].Start < ring.Ranges[i].End, $"range {ring.Ranges[i].Id} {ring.Ranges[i].BoundsText} is empty or reaches the end");
            Assert.Equal(ring.Ranges[i].End, ring.Ranges[i + 1].Start);
        }
    }

    private static Dictionary<int, RangeSize> Sizes(Ring ring, params long[] bytes) =>
        ring.Ranges.Select((r, i) => (r.Id, Size: new RangeSize(bytes[i] / 100, bytes[i]))).ToDictionary(p => p.Id, p => p.Size);
}
