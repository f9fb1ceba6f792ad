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
        Gen.Int[0, 3].Array[1, 40].Select(Gen.ULong, Gen.Int[0, 1000]).Sample((kinds, hash, pick) =>
        {
            var ring = RingPlanner.Create(Silos[..4], 8, replicationFactor: 3);
            foreach (var kind in kinds)
            {
                var range = ring.Ranges[pick % ring.Ranges.Length];
                var other = Silos[pick % Silos.Length];
                Ring next;
                switch (kind)
                {
                    case 0 when range.Contains(hash) && hash != range.Start:
                        next = RingPlanner.Split(ring, range.Id, hash).Ring;
                        break;
                    case 1 when ring.Ranges.IndexOf(range) + 1 < ring.Ranges.Length:
                        var upper = ring.Ranges[ring.Ranges.IndexOf(range) + 1];
                        next = RingPlanner.Merge(ring, range.Id, upper.Id, RingPlanner.PlanMerge(ring, range.Id, upper.Id));
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

                next.Validate();
                Assert.Equal(ring.Version + 1, next.Version);
                Assert.All(next.Ranges, r => Assert.Equal(r.Replicas.Length + 1, r.Replicas.Append(r.Master).Distinct().Count()));
                Assert.Equal(next.Ranges.Length, next.Ranges.Select(r => r.Id).Distinct().Count());
                ring = next;
                pick = ((pick * 31) + 7) & 0xFFFF;
            }
        }, iter: 300);
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
        // All data in one narrow region: splitting at the byte median, as the masters do, converges to the rule.
        var options = new RebalanceOptions { SplitFloorBytes = 1 * MiB };
        var ring = RingPlanner.Create(Silos[..3], 6);
        var sizes = Sizes(ring, 64 * MiB, 0, 0, 0, 0, 0);
        for (var round = 0; round < 50; round++)
        {
            var plan = RebalancePlanner.Plan(ring, sizes, Silos[..3], options, NoneBusy, slots: 2);
            if (plan.Count == 0)
            {
                break;
            }

            foreach (var split in plan)
            {
                var range = ring.FindById(split.RangeId)!;
                var (next, lower, upper) = RingPlanner.Split(ring, range.Id, (ulong)(range.Start + (range.Size / 2)));
                var half = sizes[range.Id].Bytes / 2;
                sizes.Remove(range.Id);
                sizes[lower.Id] = new RangeSize(half / 100, half);
                sizes[upper.Id] = new RangeSize(half / 100, half);
                ring = next;
            }
        }

        var (bytesLimit, keysLimit) = RebalancePlanner.SplitLimits(sizes.Values, options);
        Assert.All(sizes.Values, s => Assert.True(s.Bytes <= bytesLimit && s.Keys <= keysLimit, $"{s} over {bytesLimit} bytes / {keysLimit} keys"));
        Assert.True(ring.Ranges.Length > 6);
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
    public void Policy_MovesMasterBytesOffAHotSilo_AndLeavesBusyRangesAlone()
    {
        var ring = RingPlanner.Create(Silos[..2], 4);
        var hot = ring.Ranges.Where(r => r.Master.Equals(ring.Ranges[0].Master)).Select(r => r.Id).ToHashSet();
        var sizes = ring.Ranges.ToDictionary(r => r.Id, r => new RangeSize(1000, hot.Contains(r.Id) ? 60 * MiB : 10 * MiB));

        var move = Assert.Single(RebalancePlanner.Plan(ring, sizes, Silos[..2], new RebalanceOptions(), NoneBusy, slots: 3));
        var busy = RebalancePlanner.Plan(ring, sizes, Silos[..2], new RebalanceOptions(), hot, slots: 3);

        Assert.Equal(RingOperationKind.MoveMaster, move.Kind);
        Assert.Contains(move.RangeId, hot);
        Assert.Equal(ring.Ranges[1].Master, move.Target);
        Assert.Empty(busy);
    }

    [Fact]
    public void Policy_ABalancedCluster_PlansNothing()
    {
        var ring = RingPlanner.Create(Silos[..3], 24, replicationFactor: 3);

        Assert.Empty(RebalancePlanner.Plan(ring, Sizes(ring, [.. Enumerable.Repeat(5 * MiB, 24)]), Silos[..3], new RebalanceOptions(), NoneBusy, slots: 2));
    }

    private static Dictionary<int, RangeSize> Sizes(Ring ring, params long[] bytes) =>
        ring.Ranges.Select((r, i) => (r.Id, Size: new RangeSize(bytes[i] / 100, bytes[i]))).ToDictionary(p => p.Id, p => p.Size);
}
