using DiMint.Grains.Overlord;
using DiMint.Grains.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// A ring change travels as what changed (<see cref="RingCodec.EncodeDelta"/>): applied to the version it was made from
/// it gives exactly the new ring, it is small whatever the ring's size, and it is refused when applied to anything else or
/// damaged.
/// </summary>
public sealed class RingDeltaTests
{
    private static readonly IReadOnlyList<SiloAddress> Silos = RingSimulation.SiloAddresses(5);
    private static readonly Ring Base = RingPlanner.Create(Silos, 40, replicationFactor: 3) with { Version = 10 };

    public static TheoryData<string> Changes => ["none", "split", "merge", "move", "promotion", "first-and-last", "many"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void ADelta_TurnsTheBaseIntoTheNewRing(string change)
    {
        var changed = Change(Base, change);

        var delta = RingCodec.EncodeDelta(Base, changed);
        var applied = RingCodec.ApplyDelta(Base, delta);

        AssertSameRing(changed, applied);
        Assert.Equal(Base.Version, RingCodec.DeltaBase(delta));

        // The ranges the change left alone are the receiver's own objects, not copies.
        var untouched = Base.Ranges.Where(r => changed.Ranges.Any(c => ReferenceEquals(c, r))).Select(r => r.Id).ToHashSet();
        Assert.All(applied.Ranges.Where(r => untouched.Contains(r.Id)), r => Assert.Same(Base.FindById(r.Id), r));
        Assert.NotEmpty(untouched);
    }

    [Fact]
    public void ADelta_AppliedToAnotherVersion_OrDamaged_IsRefused_WithAFormatException()
    {
        var changed = Change(Base, "many");
        var delta = RingCodec.EncodeDelta(Base, changed);

        Assert.Throws<FormatException>(() => RingCodec.ApplyDelta(Base with { Version = 9 }, delta));
        Assert.Throws<FormatException>(() => RingCodec.ApplyDelta(Base, RingCodec.Encode(changed)));
        Assert.Throws<FormatException>(() => RingCodec.Decode(delta));
        for (var length = 0; length < delta.Length; length++)
        {
            Assert.Throws<FormatException>(() => RingCodec.ApplyDelta(Base, delta.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => RingCodec.ApplyDelta(Base, [.. delta, 0]));

        // Applied to a ring of another shape (the same version elsewhere), it must not make an invalid ring.
        var other = RingPlanner.Create(Silos, 12, replicationFactor: 3) with { Version = Base.Version };
        try
        {
            RingCodec.ApplyDelta(other, delta).Validate();
        }
        catch (FormatException)
        {
            // Refused.
        }
    }

    [Fact]
    public void AtTwoHundredSilosAndTenThousandRanges_OneRangesChange_IsAFewDozenBytes_OnTheWire()
    {
        var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(Ring).Assembly)).BuildServiceProvider();
        var answers = services.GetRequiredService<Serializer<DataPortAnswer>>();
        var silos = RingSimulation.SiloAddresses(200);
        var ring = RingPlanner.Create(silos, 10_000, replicationFactor: 3);
        var moved = RingPlanner.MoveMaster(ring, 5_000, ring.FindById(5_000)!.Replicas[0]);
        var (split, _, _) = RingPlanner.Split(moved, 77, RingPlanner.Midpoint(moved.FindById(77)!));

        var update = RingUpdate.Between(ring, split);
        var bytes = answers.SerializeToArray(new DataPortAnswer { Ring = update });
        var received = answers.Deserialize(bytes)!.Ring!;

        Assert.Null(update.Whole);
        Assert.InRange(bytes.Length, 1, 300);
        AssertSameRing(split, RingCodec.ApplyDelta(ring, received.Delta));
        Assert.Equal((ring.Version, split.Version), (received.BaseVersion, received.Version));

        // Sent to many receivers at the same version, the delta is made once.
        Assert.Same(update.Delta, RingUpdate.Between(ring, split).Delta);
    }

    [Fact]
    public void ADeltaThatRewritesMostOfTheRing_IsSentAsTheWholeRing()
    {
        var reshaped = RingPlanner.Create(RingSimulation.SiloAddresses(5, first: 100), 40, replicationFactor: 3) with { Version = Base.Version + 1 };

        var update = RingUpdate.Between(Base, reshaped);

        Assert.Null(update.Delta);
        Assert.Same(reshaped, update.Whole);
        Assert.Same(reshaped, RingUpdate.Between(null, reshaped).Whole);
    }

    private static Ring Change(Ring ring, string change)
    {
        switch (change)
        {
            case "none":
                return ring with { Version = ring.Version + 1 };
            case "split":
                return RingPlanner.Split(ring, 7, RingPlanner.Midpoint(ring.FindById(7)!)).Ring;
            case "merge":
                return RingPlanner.Merge(ring, 3, 4, RingPlanner.PlanMerge(ring, 3, 4));
            case "move":
                return RingPlanner.MoveMaster(ring, 12, Silos.First(s => !ring.FindById(12)!.Replicas.Contains(s) && !s.Equals(ring.FindById(12)!.Master)));
            case "promotion":
                var range = ring.FindById(20)!;
                return ring with
                {
                    Version = ring.Version + 1,
                    Ranges = ring.Ranges.SetItem(ring.Ranges.IndexOf(range), range with { Master = range.Replicas[0], Replicas = [range.Replicas[1]], Epoch = range.Epoch + 1 }),
                };
            case "first-and-last":
                var first = ring.Ranges[0];
                var last = ring.Ranges[^1];
                return ring with
                {
                    Version = ring.Version + 1,
                    Ranges = ring.Ranges.SetItem(0, first with { EmptyEpoch = 3 }).SetItem(ring.Ranges.Length - 1, last with { Epoch = last.Epoch + 1 }),
                };
            default:
                var many = RingPlanner.Split(ring, 1, RingPlanner.Midpoint(ring.FindById(1)!)).Ring;
                many = RingPlanner.Merge(many, 10, 11, RingPlanner.PlanMerge(many, 10, 11));
                many = RingPlanner.MoveMaster(many, 30, many.FindById(30)!.Replicas[0]);
                many = RingPlanner.Split(many, 40, RingPlanner.Midpoint(many.FindById(40)!)).Ring;
                return RingPlanner.Merge(many, 38, 39, RingPlanner.PlanMerge(many, 38, 39)) with { Version = ring.Version + 7 };
        }
    }

    private static void AssertSameRing(Ring expected, Ring actual)
    {
        Assert.Equal((expected.Version, expected.NextRangeId, expected.Ranges.Length), (actual.Version, actual.NextRangeId, actual.Ranges.Length));
        for (var i = 0; i < expected.Ranges.Length; i++)
        {
            Assert.True(expected.Ranges[i].SameAs(actual.Ranges[i]), $"Range {i}: {expected.Ranges[i]} became {actual.Ranges[i]}.");
        }
    }
}
