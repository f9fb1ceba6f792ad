using System.Net;
using CsCheck;
using DiMint.Grains.Overlord;

namespace DiMint.Grains.Tests.Overlord;

[Trait("Category", "Unit")]
public sealed class RingPlannerTests
{
    private static readonly SiloAddress[] Silos = Enumerable.Range(0, 5)
        .Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111 + i), 1))
        .ToArray();

    [Fact]
    public void Create_CoversTheRing_AndSpreadsMastersEvenly()
    {
        var ring = RingPlanner.Create(Silos[..3], 24);

        ring.Validate();
        Assert.Equal(24, ring.Ranges.Length);
        var perSilo = ring.Ranges.GroupBy(r => r.Master).Select(g => g.Count()).ToArray();
        Assert.Equal(3, perSilo.Length);
        Assert.All(perSilo, count => Assert.Equal(8, count));
        Assert.Equal(0UL, ring.Ranges[0].Start);
        Assert.Equal(0UL, ring.Ranges[^1].End);
    }

    [Fact]
    public void RandomSplits_NeverLeaveAGapOrOverlap()
    {
        Gen.Select(Gen.Int[1, 20], Gen.ULong.Array[1, 30]).Sample((initial, points) =>
        {
            var ring = RingPlanner.Create(Silos, initial);
            foreach (var point in points)
            {
                var range = ring.Find(point);
                if (point == range.Start)
                {
                    Assert.Throws<RingOperationException>(() => RingPlanner.Split(ring, range.Id, point));
                    continue;
                }

                var (next, lower, upper) = RingPlanner.Split(ring, range.Id, point);
                next.Validate();
                Assert.Equal(ring.Version + 1, next.Version);
                Assert.Equal(ring.Ranges.Length + 1, next.Ranges.Length);
                Assert.Equal(lower.Id, next.Find(point - 1).Id);
                Assert.Equal(upper.Id, next.Find(point).Id);
                Assert.Equal(range.Master, upper.Master);
                Assert.Null(next.FindById(range.Id));
                ring = next;
            }

            Assert.Equal(ring.Ranges.Length, ring.Ranges.Select(r => r.Id).Distinct().Count());
        }, iter: 300);
    }

    [Fact]
    public void Split_OutsideTheRangeOrUnknownRange_IsRefused()
    {
        var ring = RingPlanner.Create(Silos[..1], 4);
        var second = ring.Ranges[1];

        Assert.Equal(DiMintErrorCode.InvalidRingOperation, Assert.Throws<RingOperationException>(() => RingPlanner.Split(ring, second.Id, second.Start)).Code);
        Assert.Equal(DiMintErrorCode.InvalidRingOperation, Assert.Throws<RingOperationException>(() => RingPlanner.Split(ring, second.Id, second.End)).Code);
        Assert.Equal(DiMintErrorCode.InvalidRingOperation, Assert.Throws<RingOperationException>(() => RingPlanner.Split(ring, second.Id, 0)).Code);
        Assert.Equal(DiMintErrorCode.UnknownRange, Assert.Throws<RingOperationException>(() => RingPlanner.Split(ring, 999, 5)).Code);
    }

    [Fact]
    public void SplitPoint_EqualizesBytesWithinOneEntry()
    {
        Gen.Select(Gen.ULong, Gen.Long[1, 10_000]).Array[2, 300].Sample(entries =>
        {
            var points = entries.Select(e => (e.Item1, e.Item2)).ToList();
            var at = RingPlanner.ChooseSplitPoint(points.ToList(), rangeStart: 0);
            var distinct = points.Where(p => p.Item1 > 0).Select(p => p.Item1).Distinct().Count();
            if (at is null)
            {
                Assert.True(points.Select(p => p.Item1).Distinct().Count() < 2 || distinct == 0);
                return;
            }

            var below = points.Where(p => p.Item1 < at).Sum(p => p.Item2);
            var above = points.Where(p => p.Item1 >= at).Sum(p => p.Item2);
            Assert.True(below > 0 && above > 0);

            // Moving the boundary by one distinct hash either way cannot make the halves closer.
            var largest = points.GroupBy(p => p.Item1).Max(g => g.Sum(p => p.Item2));
            Assert.True(Math.Abs(below - above) <= largest, $"below {below}, above {above}, largest entry group {largest}");
        }, iter: 500);
    }

    [Fact]
    public void SplitPoint_NeedsTwoDistinctHashes()
    {
        Assert.Null(RingPlanner.ChooseSplitPoint([(5, 10)], 0));
        Assert.Null(RingPlanner.ChooseSplitPoint([(5, 10), (5, 20)], 0));
        Assert.Equal(9UL, RingPlanner.ChooseSplitPoint([(5, 10), (9, 10)], 0));
    }

    [Fact]
    public void Failover_PromotesTheMostAdvancedCompleteReplica_AndRaisesTheEpoch()
    {
        var ring = RingPlanner.Create(Silos[..3], 6, replicationFactor: 3);
        var failed = new HashSet<SiloAddress> { Silos[0] };
        var states = new Dictionary<(int, SiloAddress), ReplicaState>();
        foreach (var range in ring.Ranges.Where(r => r.Master.Equals(Silos[0])))
        {
            states[(range.Id, range.Replicas[0])] = new ReplicaState { RangeId = range.Id, Complete = true, AppliedSeq = 10, Epoch = 1 };
            states[(range.Id, range.Replicas[1])] = new ReplicaState { RangeId = range.Id, Complete = true, AppliedSeq = 12, Epoch = 1 };
        }

        var next = RingPlanner.Failover(ring, failed, states, Silos[1..3])!;

        next.Validate();
        Assert.Equal(ring.Version + 1, next.Version);
        foreach (var range in ring.Ranges)
        {
            var after = next.FindById(range.Id)!;
            Assert.DoesNotContain(Silos[0], after.Replicas.Append(after.Master));
            if (range.Master.Equals(Silos[0]))
            {
                Assert.Equal(range.Replicas[1], after.Master);
                Assert.Equal(range.Epoch + 1, after.Epoch);
                Assert.Equal(new[] { range.Replicas[0] }, after.Replicas.ToArray());
            }
            else
            {
                Assert.Equal(range.Master, after.Master);
                Assert.Equal(range.Epoch, after.Epoch);
            }
        }
    }

    [Fact]
    public void Failover_WaitsForEveryLiveReplicaToAnswer()
    {
        var ring = RingPlanner.Create(Silos[..3], 3, replicationFactor: 3);
        var range = ring.Ranges.First(r => r.Master.Equals(Silos[0]));
        var states = new Dictionary<(int, SiloAddress), ReplicaState>
        {
            [(range.Id, range.Replicas[0])] = new ReplicaState { RangeId = range.Id, Complete = true, AppliedSeq = 5, Epoch = 1 },
        };

        var next = RingPlanner.Failover(ring, new HashSet<SiloAddress> { Silos[0] }, states, Silos[1..3]);

        Assert.Equal(range.Master, next?.FindById(range.Id)!.Master ?? range.Master);
    }

    [Fact]
    public void FillReplicas_GivesEveryRangeReplicasOnOtherSilos_SpreadEvenly()
    {
        var ring = RingPlanner.Create(Silos[..2], 8, replicationFactor: 3);
        Assert.All(ring.Ranges, r => Assert.Single(r.Replicas));

        var filled = RingPlanner.FillReplicas(ring, Silos[..4], replicationFactor: 3)!;

        filled.Validate();
        Assert.All(filled.Ranges, r =>
        {
            Assert.Equal(2, r.Replicas.Length);
            Assert.DoesNotContain(r.Master, r.Replicas);
            Assert.Equal(2, r.Replicas.Distinct().Count());
        });
        var perSilo = Silos[..4].Select(s => filled.Ranges.Count(r => r.Replicas.Contains(s))).ToArray();
        Assert.True(perSilo.Max() - perSilo.Min() <= 4, string.Join(",", perSilo));
        Assert.Null(RingPlanner.FillReplicas(filled, Silos[..4], replicationFactor: 3));
    }
}
