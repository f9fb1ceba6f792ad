using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Simulation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// A silo learns where the overlord runs from its probes (<see cref="DataPortRequest.Overlord"/>), but only from a newer
/// term than it knows: a paused or cut-off overlord that wakes up with an old term cannot draw the calls back.
/// </summary>
public sealed class OverlordAnnouncementTests
{
    private static readonly SiloAddress[] Silos = RingSimulation.SiloAddresses(3);

    [Fact]
    public void ANewerTerm_MovesTheOverlord_AnOlderOrEqualOneDoesNot()
    {
        var election = ElectionOn(Silos[0]);

        election.Observe(Silos[1], 3);
        Assert.Equal(Silos[1], election.Leader);
        Assert.Equal(3, election.Term);

        election.Observe(Silos[2], 2);
        election.Observe(Silos[2], 3);
        Assert.Equal(Silos[1], election.Leader);
        Assert.Equal(3, election.Term);

        election.Observe(Silos[2], 4);
        Assert.Equal(Silos[2], election.Leader);
        Assert.Equal(4, election.Term);
        Assert.False(election.IsLeader);
    }

    private static OverlordElection ElectionOn(SiloAddress silo) =>
        new(null!, new LocalSilo(silo), null!, null!, Options.Create(new ReplicationOptions()), TimeProvider.System, NullLogger<OverlordElection>.Instance);

    private sealed class LocalSilo(SiloAddress silo) : ILocalSiloDetails
    {
        public string Name => "test";

        public string ClusterId => "test";

        public string DnsHostName => "localhost";

        public SiloAddress SiloAddress => silo;

        public SiloAddress GatewayAddress => silo;
    }
}
