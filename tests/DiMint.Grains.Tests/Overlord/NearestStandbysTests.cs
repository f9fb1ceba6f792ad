using System.Net;
using DiMint.Grains.Overlord;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// The standbys that read the overlord's lease four times a lease are the same few on every silo that sees the same
/// members, never the holder, whatever order membership lists them in.
/// </summary>
public sealed class NearestStandbysTests
{
    private static readonly SiloAddress[] Silos = [.. Enumerable.Range(1, 8).Select(i => SiloAddress.New(new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 11111), 1))];

    [Fact]
    public void TheFirstSilosByAddress_OtherThanTheHolder_AreTheNearestStandbys()
    {
        var picked = OverlordElection.NearestStandbys(Silos.Reverse(), Silos[1], 3).ToArray();

        Assert.Equal([Silos[0], Silos[2], Silos[3]], picked);
        Assert.Equal(picked, OverlordElection.NearestStandbys(Silos.OrderBy(_ => Random.Shared.Next()), Silos[1], 3));
    }

    [Fact]
    public void FewerSilosThanStandbys_AreAllNearest_AndNoHolderMeansNoneExcluded()
    {
        Assert.Equal([Silos[0]], OverlordElection.NearestStandbys(Silos[..2], Silos[1], 3));
        Assert.Equal(Silos[..3], OverlordElection.NearestStandbys(Silos, null, 3));
    }
}
