using System.Collections.Immutable;
using System.Net;
using CsCheck;

namespace DiMint.Tests.Ring;

[Trait("Category", "Unit")]
public sealed class RingTests
{
    private static readonly SiloAddress Silo = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);

    private static DiMint.Ring Build(params ulong[] starts)
    {
        var ranges = starts.Select((start, i) => new RangeInfo
        {
            Id = i + 1,
            Start = start,
            End = i == starts.Length - 1 ? 0 : starts[i + 1],
            Master = Silo,
        }).ToImmutableArray();
        return new DiMint.Ring { Version = 1, Ranges = ranges, NextRangeId = starts.Length + 1 };
    }

    [Fact]
    public void Find_AtBoundaries_PicksTheOwningRange()
    {
        var ring = Build(0, 100, 1UL << 63);
        ring.Validate();

        Assert.Equal(1, ring.Find(0).Id);
        Assert.Equal(1, ring.Find(99).Id);
        Assert.Equal(2, ring.Find(100).Id);
        Assert.Equal(2, ring.Find((1UL << 63) - 1).Id);
        Assert.Equal(3, ring.Find(1UL << 63).Id);
        Assert.Equal(3, ring.Find(ulong.MaxValue).Id);
        Assert.True(ring.Find(ulong.MaxValue).Contains(ulong.MaxValue));
        Assert.False(ring.Ranges[0].Contains(100));
    }

    [Fact]
    public void Find_ForRandomRingsAndHashes_AgreesWithContains()
    {
        Gen.Select(Gen.ULong.Array[1, 40], Gen.ULong.Array[1, 50]).Sample((cuts, hashes) =>
        {
            var starts = cuts.Append(0UL).Distinct().Order().ToArray();
            var ring = Build(starts);
            ring.Validate();
            foreach (var hash in hashes.Concat([0UL, ulong.MaxValue]).Concat(starts).Concat(starts.Where(s => s > 0).Select(s => s - 1)))
            {
                var owners = ring.Ranges.Where(r => r.Contains(hash)).ToArray();
                Assert.Single(owners);
                Assert.Equal(owners[0].Id, ring.Find(hash).Id);
            }
        }, iter: 500);
    }

    [Fact]
    public void Validate_RejectsGapsOverlapsAndShortRings()
    {
        var gap = Build(0, 100) with { };
        gap = gap with { Ranges = gap.Ranges.SetItem(0, gap.Ranges[0] with { End = 50 }) };
        Assert.Throws<InvalidOperationException>(gap.Validate);

        var overlap = Build(0, 100);
        overlap = overlap with { Ranges = overlap.Ranges.SetItem(1, overlap.Ranges[1] with { Start = 90 }) };
        Assert.Throws<InvalidOperationException>(overlap.Validate);

        var notFromZero = Build(5, 100);
        Assert.Throws<InvalidOperationException>(notFromZero.Validate);

        var shortRing = Build(0, 100);
        shortRing = shortRing with { Ranges = shortRing.Ranges.SetItem(1, shortRing.Ranges[1] with { End = 500 }) };
        Assert.Throws<InvalidOperationException>(shortRing.Validate);
    }

    [Fact]
    public void KeyHash_IsXxHash64OfUtf8()
    {
        var expected = System.IO.Hashing.XxHash64.HashToUInt64("héllo"u8);
        Assert.Equal(expected, KeyHash.Of("héllo"));
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(new string('x', 1000))), KeyHash.Of(new string('x', 1000)));
    }
}
