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
    public void Promote_TakesTheMostAdvancedCompleteCopy_AndKeepsTheOthers_TheSilentOldMasterToo()
    {
        // Writes 11 and 12 may have been acknowledged by the old master and silo 2 alone: until silo 2 has sent them to
        // silo 1, only the old master holds them besides it, so a promotion after silo 2 fails must hear from it.
        var range = Range(master: 0, replicas: [1, 2]);
        var answers = Answers((1, true, 1, 10), (2, true, 1, 12));

        var next = RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2)!;

        Assert.Equal(Silos[2], next.Master);
        Assert.Equal(2, next.Epoch);
        Assert.Equal([Silos[0], Silos[1]], next.Replicas.Order().ToArray());
    }

    [Fact]
    public void Promote_AmongCopiesHoldingTheSame_TakesTheSiloWithTheFewestMasters()
    {
        var range = Range(master: 0, replicas: [1, 2]);
        var answers = Answers((1, true, 1, 12), (2, true, 1, 12));

        Assert.Equal(Silos[2], RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2, new Dictionary<SiloAddress, int> { [Silos[1]] = 5, [Silos[2]] = 1 })!.Master);
        Assert.Equal(Silos[1], RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2, new Dictionary<SiloAddress, int> { [Silos[1]] = 1, [Silos[2]] = 5 })!.Master);

        // A silo that masters nothing (it just restarted: the first master of a process is slow to start) loses to one
        // that masters some, however many.
        Assert.Equal(Silos[1], RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2, new Dictionary<SiloAddress, int> { [Silos[1]] = 7 })!.Master);
        Assert.Equal(Silos[2], RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2, new Dictionary<SiloAddress, int> { [Silos[1]] = 0, [Silos[2]] = 7 })!.Master);

        // Never at the cost of a write: the most advanced copy wins whatever it masters.
        Assert.Equal(Silos[1], RingPlanner.Promote(range, Answers((1, true, 1, 13), (2, true, 1, 12)), writeAcks: null, epoch: 2, new Dictionary<SiloAddress, int> { [Silos[1]] = 9 })!.Master);
    }

    [Fact]
    public void Promote_LetsASilentOldMasterLeave_WhenAWriteQuorumWithoutItHoldsThePromotedHistory()
    {
        // RF 3: silo 1 holds exactly what silo 2 holds, so the new configuration's write quorum (2 of 2) has it all.
        var three = Range(master: 0, replicas: [1, 2]);
        var equal = RingPlanner.Promote(three, Answers((1, true, 1, 12), (2, true, 1, 12)), writeAcks: null, epoch: 2)!;
        Assert.Equal([Silos[1], Silos[2]], equal.Replicas.Append(equal.Master).Order().ToArray());

        // RF 2: every acknowledged write was on both copies; the promoted one alone is the new configuration's quorum.
        var two = Range(master: 0, replicas: [1]);
        var next = RingPlanner.Promote(two, Answers((1, true, 1, 12)), writeAcks: null, epoch: 2)!;
        Assert.Equal(Silos[1], next.Master);
        Assert.Empty(next.Replicas);

        // Asynchronous replication (WriteAcks 0) makes no promise a silent master could keep.
        Assert.Equal([Silos[1]], RingPlanner.Promote(three, Answers((1, true, 1, 10), (2, true, 1, 12)), writeAcks: 0, epoch: 2)!.Replicas.ToArray());
    }

    [Fact]
    public void Promote_WithFewerAnswersThanAMajority_PromotesNothing()
    {
        // The master and one replica cut off together may hold acknowledged writes the other replica lacks.
        var range = Range(master: 0, replicas: [1, 2]);

        Assert.Null(RingPlanner.Promote(range, Answers((2, true, 1, 50)), writeAcks: null, epoch: 2));
    }

    [Fact]
    public void Promote_CountsAnIncompleteCopyTowardTheQuorum_ButNeverPromotesIt()
    {
        // A copy still receiving its snapshot never acknowledged a write: with it, a majority answered.
        var range = Range(master: 0, replicas: [1, 2]);

        var next = RingPlanner.Promote(range, Answers((1, false, 0, 0), (2, true, 1, 50)), writeAcks: null, epoch: 2)!;

        Assert.Equal(Silos[2], next.Master);
        Assert.Equal(0, next.EmptyEpoch);
    }

    [Fact]
    public void Promote_NeverPromotesAnIncompleteCopy_EvenWithTheNewestEpochAndHighestSequenceNumber()
    {
        // Silo 1 is taking a snapshot from the epoch-3 master: it is ahead on paper but acknowledged nothing. Silo 2 is
        // complete at epoch 2, so it holds every acknowledged write and becomes master; the range keeps its data.
        var range = Range(master: 0, replicas: [1, 2]) with { Epoch = 3 };
        var answers = Answers((1, false, 3, 900), (2, true, 2, 40));

        var next = RingPlanner.Promote(range, answers, writeAcks: null, epoch: 4)!;

        Assert.Equal(Silos[2], next.Master);
        Assert.Equal(4, next.Epoch);
        Assert.Equal(0, next.EmptyEpoch);
        Assert.Equal([Silos[0], Silos[1]], next.Replicas.Order().ToArray());
    }

    [Fact]
    public void Promote_WhenNoAnsweringCopyIsComplete_StartsTheRangeEmptyAtTheNewEpoch()
    {
        // No complete copy in a promotion quorum: no write of the range was ever acknowledged.
        var range = Range(master: 0, replicas: [1, 2]);

        var next = RingPlanner.Promote(range, Answers((1, false, 0, 0), (2, false, 0, 0)), writeAcks: null, epoch: 3)!;

        Assert.Equal(3, next.EmptyEpoch);
        Assert.Equal(3, next.Epoch);
        Assert.Contains(next.Master, new[] { Silos[1], Silos[2] });
    }

    [Fact]
    public void Promote_PrefersANewerEpochOverAHigherSequenceNumber()
    {
        var range = Range(master: 0, replicas: [1, 2]) with { Epoch = 3 };
        var answers = Answers((1, true, 3, 5), (2, true, 2, 100));

        Assert.Equal(Silos[1], RingPlanner.Promote(range, answers, writeAcks: null, epoch: 4)!.Master);
    }

    [Fact]
    public void Promote_CountsTheOldMastersCopyWhenItAnswers_AndKeepsItAsAReplica()
    {
        var range = Range(master: 0, replicas: [1, 2]);
        var answers = Answers((0, true, 1, 40), (1, true, 1, 30));

        var next = RingPlanner.Promote(range, answers, writeAcks: null, epoch: 2)!;

        Assert.Equal(Silos[0], next.Master);
        Assert.Equal([Silos[1], Silos[2]], next.Replicas.Order().ToArray());
    }

    [Fact]
    public void Promote_WithFiveCopies_NeedsThree_AndKeepsTheOnesThatDidNotAnswer()
    {
        var range = Range(master: 0, replicas: [1, 2, 3, 4]);

        Assert.Null(RingPlanner.Promote(range, Answers((1, true, 1, 7), (2, true, 1, 9)), writeAcks: null, epoch: 2));
        var next = RingPlanner.Promote(range, Answers((1, true, 1, 7), (2, true, 1, 9), (3, true, 1, 8)), writeAcks: null, epoch: 2)!;
        Assert.Equal(Silos[2], next.Master);
        Assert.Equal([Silos[0], Silos[1], Silos[3], Silos[4]], next.Replicas.Order().ToArray());
    }

    [Fact]
    public void Promote_WithOneReplicaAcknowledgingOfFive_NeedsFourAnswers_NotAMajority()
    {
        // WriteAcks 1 on five copies: a write is acknowledged by the master and any one replica (2 copies), so only
        // 5 - 2 + 1 = 4 answers are sure to include one of them. Three answers, a majority, are too few.
        var range = Range(master: 0, replicas: [1, 2, 3, 4]);

        Assert.Null(RingPlanner.Promote(range, Answers((1, true, 1, 7), (2, true, 1, 9), (3, true, 1, 8)), writeAcks: 1, epoch: 2));
        var next = RingPlanner.Promote(range, Answers((1, true, 1, 7), (2, true, 1, 9), (3, true, 1, 8), (4, true, 1, 11)), writeAcks: 1, epoch: 2)!;
        Assert.Equal(Silos[4], next.Master);
        Assert.Equal([Silos[0], Silos[1], Silos[2], Silos[3]], next.Replicas.Order().ToArray());
    }

    [Fact]
    public void Promote_WithEveryReplicaAcknowledging_NeedsOnlyOne()
    {
        var range = Range(master: 0, replicas: [1, 2]);

        Assert.Equal(Silos[2], RingPlanner.Promote(range, Answers((2, true, 1, 9)), writeAcks: 2, epoch: 2)!.Master);
    }

    [Fact]
    public void PlanRepairs_ReplacesReplicasOnFailedSilos_AndAddsMissingOnes()
    {
        var ring = new Ring
        {
            Version = 5,
            Ranges =
            [
                Range(master: 0, replicas: [1, 2]) with { Id = 1, Start = 0, End = 1UL << 62 },
                Range(master: 1, replicas: [0]) with { Id = 2, Start = 1UL << 62, End = 1UL << 63 },
                Range(master: 2, replicas: [0, 1]) with { Id = 3, Start = 1UL << 63, End = 0 },
            ],
            NextRangeId = 4,
        };
        var failed = new HashSet<SiloAddress> { Silos[2] };

        var plan = RingPlanner.PlanRepairs(ring, [Silos[0], Silos[1], Silos[3]], failed, replicationFactor: 3, busy: new HashSet<int>());

        // Range 1: its replica on the failed silo 2 moves to silo 3, the only live silo without the range. Range 2 lacks a
        // replica: silo 3 again (it then holds one, silos 0 and 1 hold two). Range 3's master failed: a promotion's business.
        Assert.Equal([(1, Silos[2], Silos[3]), (2, (SiloAddress?)null, (SiloAddress?)Silos[3])], plan.Select(p => (p.RangeId, p.From, p.To)).ToArray());
        Assert.Empty(RingPlanner.PlanRepairs(ring, [Silos[0], Silos[1], Silos[3]], failed, replicationFactor: 3, busy: new HashSet<int> { 1, 2 }));

        // With no live silo left to take it, the copy on the failed silo is dropped.
        var dropped = RingPlanner.PlanRepairs(ring, [Silos[0], Silos[1]], failed, replicationFactor: 3, busy: new HashSet<int>());
        Assert.Equal([(1, Silos[2], (SiloAddress?)null)], dropped.Select(p => (p.RangeId, p.From, p.To)).ToArray());
    }

    [Fact]
    public void PlanRepairs_MovesEachCopy_ToTheLeastLoadedCandidate_CountingTheMovesAlreadyPlanned()
    {
        // Silo 0 failed; ranges 1 and 4 each had a replica there. Replicas held by the live silos: 1 holds two, 3 holds
        // one, 2 and 4 none.
        var ring = new Ring
        {
            Version = 5,
            Ranges =
            [
                Range(master: 4, replicas: [0]) with { Id = 1, Start = 0, End = 1UL << 62 },
                Range(master: 2, replicas: [1, 3]) with { Id = 2, Start = 1UL << 62, End = 1UL << 63 },
                Range(master: 3, replicas: [1]) with { Id = 3, Start = 1UL << 63, End = 3UL << 62 },
                Range(master: 1, replicas: [0]) with { Id = 4, Start = 3UL << 62, End = 0 },
            ],
            NextRangeId = 5,
        };

        var plan = RingPlanner.PlanRepairs(ring, Silos[1..], new HashSet<SiloAddress> { Silos[0] }, replicationFactor: 2, busy: new HashSet<int>());

        // Range 1 (master on 4) may go to 1 (two replicas), 2 (none) or 3 (one): silo 2. Range 4 (master on 1) may go to
        // 2 (one now, with range 1's), 3 (one) or 4 (none): silo 4.
        Assert.Equal([(1, Silos[0], Silos[2]), (4, Silos[0], Silos[4])], plan.Select(p => (p.RangeId, p.From, p.To)).ToArray());
    }

    [Fact]
    public void PlanRepairs_OnJoiningSilos_AddsTheMissingReplicas_SpreadEvenly()
    {
        // Two silos hold eight ranges with one replica each. With four live silos and a replication factor of 3, every
        // range lacks a replica, and the least-loaded silo without the range takes it: the two new silos alternate, so
        // every silo ends with exactly four replicas.
        var ring = RingPlanner.Create(Silos[..2], 8, replicationFactor: 3);

        var plan = RingPlanner.PlanRepairs(ring, Silos[..4], new HashSet<SiloAddress>(), replicationFactor: 3, busy: new HashSet<int>());

        Assert.Equal(ring.Ranges.Select(r => r.Id), plan.Select(p => p.RangeId));
        Assert.All(plan, p => Assert.Null(p.From));
        var repaired = plan.Aggregate(ring, (r, p) => RingPlanner.AddReplica(r, p.RangeId, p.To!));
        Assert.All(repaired.Ranges, r => Assert.Equal(3, r.Replicas.Append(r.Master).Distinct().Count()));
        Assert.All(Silos[..4], s => Assert.Equal(4, repaired.Ranges.Count(r => r.Replicas.Contains(s))));
        Assert.Empty(RingPlanner.PlanRepairs(repaired, Silos[..4], new HashSet<SiloAddress>(), replicationFactor: 3, busy: new HashSet<int>()));
    }

    private static RangeInfo Range(int master, int[] replicas) => new()
    {
        Id = 1,
        Start = 0,
        End = 0,
        Master = Silos[master],
        Replicas = [.. replicas.Select(i => Silos[i])],
        Epoch = 1,
    };

    private static Dictionary<SiloAddress, (SiloAddress At, ReplicaState State)> Answers(params (int Silo, bool Complete, long Epoch, long Seq)[] answers) =>
        answers.ToDictionary(
            a => Silos[a.Silo],
            a => (Silos[a.Silo], new ReplicaState { RangeId = 1, Complete = a.Complete, Epoch = a.Epoch, AppliedSeq = a.Seq }));
}
