using System.Net;
using Orleans;
using Orleans.Runtime;

namespace DiMint.ZooKeeper.Tests;

/// <summary>Builds membership rows for the table tests.</summary>
internal static class MembershipEntries
{
    private static int _nextPort = 20000;

    public static MembershipEntry New(SiloStatus status = SiloStatus.Joining, DateTime? lastSeen = null, int? proxyPort = null)
    {
        var port = Interlocked.Increment(ref _nextPort);
        var time = lastSeen ?? DateTime.UtcNow;
        return new MembershipEntry
        {
            SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 1000 + port),
            Status = status,
            ProxyPort = proxyPort ?? port + 10000,
            HostName = "host-" + port,
            SiloName = "silo-" + port,
            RoleName = "DiMint.Silo",
            UpdateZone = 1,
            FaultZone = 2,
            StartTime = time.AddMinutes(-1),
            IAmAliveTime = time,
            SuspectTimes = [],
        };
    }
}
