using DiMint.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Replication;

/// <summary>
/// Keeps this silo's data-port connections to every other silo the ring names open, checked once a second: a master
/// promoted or moved here replicates on the data port from its first batch. Without it a silo's first replication to a
/// peer went as an Orleans call while the connection was being made, and on a silo that had just started (never a
/// master yet) that first round trip took hundreds of milliseconds, all of it added to a failover.
/// </summary>
internal sealed class PeerConnections(
    IGrainFactory grains,
    ILocalSiloDetails local,
    RingCache rings,
    DataPorts dataPorts,
    IOptions<ReplicationOptions> options) : SiloLoop
{
    protected override async Task RunAsync(CancellationToken stop)
    {
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

            foreach (var silo in ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master)).Distinct())
            {
                if (!silo.Equals(local.SiloAddress))
                {
                    // Opens the connection unless it is open, being made, or failed too recently (then tried again later).
                    dataPorts.For(silo, grains.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo)));
                }
            }
        }
    }
}
