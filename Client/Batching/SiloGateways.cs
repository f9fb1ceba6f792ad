using System.Collections.Concurrent;
using System.Net;

namespace DiMint.Client.Batching;

/// <summary>
/// The <see cref="ISiloBatchService"/> of each silo, addressed through that silo's own gateway, so that a batch goes
/// straight to the silo that masters its ranges. The gateways come from the cluster's membership (each silo's address
/// and gateway port). Until a silo's gateway is known, its service is addressed by the silo's own address: Orleans then
/// sends the call to any gateway, which forwards it to that silo (one hop more each way), while the membership is read
/// again in the background.
/// </summary>
internal sealed class SiloGateways(IGrainFactory factory)
{
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<SiloAddress, ISiloBatchService> _forwarded = new();
    private Dictionary<SiloAddress, ISiloBatchService> _services = [];
    private long _lastRefresh = long.MinValue;
    private int _refreshing;

    /// <summary>The batch service to call for ranges mastered by <paramref name="silo"/>.</summary>
    public ISiloBatchService For(SiloAddress silo)
    {
        if (Volatile.Read(ref _services).TryGetValue(silo, out var service))
        {
            return service;
        }

        _ = RefreshAsync();
        return _forwarded.GetOrAdd(silo, static (silo, factory) => factory.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo)), factory);
    }

    /// <summary>Reads the membership again (at most once a second, one read at a time).</summary>
    public async Task RefreshAsync()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastRefresh) < MinRefreshInterval.TotalMilliseconds || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            Interlocked.Exchange(ref _lastRefresh, now);
            var hosts = await factory.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true).ConfigureAwait(false);
            var services = new Dictionary<SiloAddress, ISiloBatchService>(hosts.Length);
            foreach (var host in hosts)
            {
                if (host.ProxyPort != 0)
                {
                    var gateway = SiloAddress.New(new IPEndPoint(host.SiloAddress.Endpoint.Address, host.ProxyPort), 0);
                    services[host.SiloAddress] = factory.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(gateway));
                }
            }

            Volatile.Write(ref _services, services);
        }
        catch (Exception)
        {
            // The next batch to an unknown silo tries again; until then its batches go through any gateway.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}
