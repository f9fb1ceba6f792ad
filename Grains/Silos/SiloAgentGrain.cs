using System.Diagnostics;
using DiMint.Grains.Batching;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using DiMint.Grains.Ranges;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;

namespace DiMint.Grains.Silos;

/// <summary>Reports what its silo holds; pinned to that silo by its key.</summary>
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
internal sealed partial class SiloAgentGrain(RangeStore store, SiloProcessState process, PauseMeter pauses, IOptions<EndpointOptions> endpoints, ILocalSiloDetails silo, DataPortListener dataPort, OverlordElection election, ILogger<SiloAgentGrain> logger) : Grain, ISiloAgentGrain
{
    private static readonly DateTimeOffset ProcessStart = new(Process.GetCurrentProcess().StartTime.ToUniversalTime());

    public Task<TimeSpan> PingAsync(SiloAddress? overlord, long overlordTerm)
    {
        election.Observe(overlord, overlordTerm);
        return Task.FromResult(pauses.RecentLongest);
    }

    public Task<SiloAddress[]> GetEarlierIncarnationsAsync() => Task.FromResult(process.Incarnations is { Length: > 0 } all ? all[..^1] : []);

    public Task<int[]> DropStaleCopiesAsync(Ring ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var dropped = store.DropStale(ring, [.. process.Incarnations, silo.SiloAddress]);
        if (dropped.Count > 0)
        {
            LogDropped(logger, dropped.Count, string.Join(", ", dropped), ring.Version);
        }

        return Task.FromResult(dropped.ToArray());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} range copies the ring left behind (ranges {Ranges}: ring version {RingVersion} places them on other silos, at a newer epoch or since this process restarted its runtime)")]
    private static partial void LogDropped(ILogger logger, int count, string ranges, long ringVersion);

    public Task<SiloStats> GetStatsAsync()
    {
        var live = store.Live();
        var ranges = new RangeStats[live.Count];
        for (var i = 0; i < live.Count; i++)
        {
            var (lag, inSync) = live[i].IsMaster ? store.ReplicationOf(live[i].Range.Id) : (0, 0);
            ranges[i] = live[i].Stats(lag, inSync);
        }

        var endpoint = endpoints.Value;
        string? gateway = endpoint.GatewayPort > 0
            ? $"{endpoint.AdvertisedIPAddress}:{endpoint.GatewayPort}"
            : null;
        using var process = Process.GetCurrentProcess();
        return Task.FromResult(new SiloStats
        {
            Ranges = ranges,
            ProcessMemoryBytes = process.WorkingSet64,
            ManagedHeapBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
            StartedAt = ProcessStart,
            ProcessId = Environment.ProcessId,
            Gateway = gateway,
            DataPortConnections = dataPort.OpenConnections,
            DataPortClientBatches = dataPort.ClientRequests,
            DataPortRefused = dataPort.Refused,
        });
    }
}
