using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Storage;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// The ring as stored: compact enough that 200 silos and 10,000 ranges fit a znode many times over, read back exactly,
/// refused with a FormatException when damaged, and the ring an older version stored (Orleans' JSON) still read.
/// </summary>
public sealed class RingCodecTests
{
    [Fact]
    public void ARing_RoundTrips_WithEveryField()
    {
        var silos = RingSimulation.SiloAddresses(5);
        var ring = RingPlanner.Create(silos, 40, replicationFactor: 3);
        var (split, _, _) = RingPlanner.Split(ring, 7, ring.FindById(7)!.Start + 12345);
        split = RingPlanner.MoveMaster(split, 3, silos[4]) with { Version = 99 };
        split = split with { Ranges = split.Ranges.SetItem(0, split.Ranges[0] with { EmptyEpoch = 5, Epoch = 6 }) };

        AssertSameRing(split, RingCodec.Decode(RingCodec.Encode(split)));
    }

    [Fact]
    public void TenThousandRanges_OverTwoHundredSilos_FitAZnodeWithRoomToSpare()
    {
        var ring = RingPlanner.Create(RingSimulation.SiloAddresses(200), 10_000, replicationFactor: 3);

        var bytes = RingCodec.Encode(ring).Length;

        Assert.InRange(bytes, 1, 1024 * 1024 / 4);
    }

    [Fact]
    public void OnTheWire_ARingTravelsInItsCompactForm_AndIsNotCopiedWithinAProcess()
    {
        var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(Ring).Assembly)).BuildServiceProvider();
        var ring = RingPlanner.Create(RingSimulation.SiloAddresses(200), 10_000, replicationFactor: 3);
        var compact = RingCodec.Encode(ring).Length;

        // Alone, and inside a message that carries it (a ring watch's answer on a data port).
        var rings = services.GetRequiredService<Serializer<Ring>>();
        var bytes = rings.SerializeToArray(ring);
        AssertSameRing(ring, rings.Deserialize(bytes)!);
        Assert.InRange(bytes.Length, compact, compact + 64);

        var answers = services.GetRequiredService<Serializer<DataPortAnswer>>();
        var answer = answers.SerializeToArray(new DataPortAnswer { Ring = RingUpdate.Of(ring) });
        AssertSameRing(ring, answers.Deserialize(answer)!.Ring!.Whole!);
        Assert.InRange(answer.Length, compact, compact + 64);

        Assert.Same(ring, services.GetRequiredService<DeepCopier<Ring>>().Copy(ring));
    }

    [Fact]
    public void DamagedBytes_AreRefused_WithAFormatException()
    {
        var bytes = RingCodec.Encode(RingPlanner.Create(RingSimulation.SiloAddresses(3), 8, replicationFactor: 3));
        var random = new Random(7);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => RingCodec.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => RingCodec.Decode([.. bytes, 0]));
        for (var i = 0; i < 2_000; i++)
        {
            var damaged = bytes.ToArray();
            damaged[random.Next(5, damaged.Length)] = (byte)random.Next(256);
            try
            {
                RingCodec.Decode(damaged).Validate();
            }
            catch (FormatException)
            {
                // Refused: what a damaged ring must do unless the damage still describes a valid ring.
            }
        }
    }

    [Fact]
    public void TheRingStorage_StoresTheCompactForm_AndStillReadsTheJsonAnOlderVersionStored()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo.UseLocalhostClustering().AddDiMint().AddDiMintFileRingStorage(Path.GetTempPath()));
        using var host = builder.Build();
        var serializer = host.Services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(DiMintStorage.Ring).GrainStorageSerializer;
        var json = host.Services.GetRequiredService<IGrainStorageSerializer>();
        var ring = RingPlanner.Create(RingSimulation.SiloAddresses(3), 8, replicationFactor: 3);

        var stored = serializer.Serialize(new RingState { Ring = ring });
        var old = json.Serialize(new RingState { Ring = ring });

        Assert.True(RingCodec.IsEncoded(stored.ToMemory().Span));
        AssertSameRing(ring, serializer.Deserialize<RingState>(stored)!.Ring!);
        AssertSameRing(ring, serializer.Deserialize<RingState>(old)!.Ring!);
        Assert.Equal(7, serializer.Deserialize<OverlordLease>(serializer.Serialize(new OverlordLease { Holder = ring.Ranges[0].Master, Term = 7 }))!.Term);
    }

    private static void AssertSameRing(Ring expected, Ring actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.NextRangeId, actual.NextRangeId);
        Assert.Equal(expected.Ranges.Length, actual.Ranges.Length);
        for (var i = 0; i < expected.Ranges.Length; i++)
        {
            var (a, b) = (expected.Ranges[i], actual.Ranges[i]);
            Assert.Equal((a.Id, a.Start, a.End, a.Master, a.Epoch, a.EmptyEpoch), (b.Id, b.Start, b.End, b.Master, b.Epoch, b.EmptyEpoch));
            Assert.Equal(a.Replicas.ToArray(), b.Replicas.ToArray());
        }
    }
}
