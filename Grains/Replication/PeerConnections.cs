using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Replication;

/// <summary>
/// Keeps this silo's data-port connections to every other silo the ring names open, checked once a second: a master
/// promoted or moved here replicates on the data port from its first batch. Without it a silo's first replication to a
/// peer went as an Orleans call while the connection was being made, and on a silo that had just started (never a
/// master yet) that first round trip took hundreds of milliseconds, all of it added to a failover.
/// Each peer is also asked once, through Orleans, what it holds of no range: a promoted master asks its replicas that
/// way before it resumes them, and on a silo that had never done so the first such call took 240 ms of a failover.
/// On the overlord's silo these connections are also the first to see a peer's process die: the kernel closes its
/// sockets as it tears the process down, and the overlord is told at once (<see cref="IOverlordGrain.SiloLostAsync"/>)
/// rather than at its next probe.
/// </summary>
internal sealed class PeerConnections(
    IGrainFactory grains,
    ILocalSiloDetails local,
    RingCache rings,
    DataPorts dataPorts,
    OverlordElection election,
    IOptions<ReplicationOptions> options) : SiloLoop
{
    /// <summary>The peers asked once already (<see cref="WarmUpAsync"/>); the loop's own, no other thread touches it.</summary>
    private readonly HashSet<SiloAddress> _warm = [];

    /// <summary>The other silos <see cref="_peersOf"/> names; the loop's own.</summary>
    private HashSet<SiloAddress> _peers = [];
    private Ring? _peersOf;

    protected override async Task RunAsync(CancellationToken stop)
    {
        dataPorts.PeerLost = OnPeerLost;
        var every = options.Value.FailoverTimeout;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (rings.Current is not { } ring)
            {
                continue;
            }

            if (!ReferenceEquals(ring, _peersOf))
            {
                // Once per ring, not once per pass (10,000 ranges made each pass 30,000 lookups).
                _peersOf = ring;
                _peers = RingPlanner.Holders(ring);
                _peers.Remove(local.SiloAddress);
            }

            var peers = _peers;
            foreach (var silo in peers)
            {
                // Opens the connection unless it is open, being made, or failed too recently (then tried again later).
                dataPorts.For(silo, grains.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo)));
            }

            _warm.IntersectWith(peers);
            foreach (var silo in peers)
            {
                if (!_warm.Contains(silo) && await WarmUpAsync(silo, every))
                {
                    _warm.Add(silo);
                }
            }
        }
    }

    /// <summary>Asks <paramref name="silo"/>'s replication service what it holds of no range (id 0); whether it answered.</summary>
    private async Task<bool> WarmUpAsync(SiloAddress silo, TimeSpan timeout)
    {
        try
        {
            await grains.GetGrain<IReplicationService>(ReplicationServiceId.At(silo)).GetStateAsync(0, includeMaster: false).WaitAsync(timeout);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return false;
        }
    }

    private void OnPeerLost(SiloAddress silo)
    {
        if (election.IsLeader)
        {
            // One-way in effect: the overlord checks the silo's port and fails it over if it refuses.
            _ = grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord).SiloLostAsync(silo).ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }
}
