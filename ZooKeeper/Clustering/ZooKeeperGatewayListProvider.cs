using DiMint.ZooKeeper.Clustering;
using DiMint.ZooKeeper.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace DiMint.ZooKeeper;

/// <summary>
/// Gives Orleans clients the gateway addresses of the active silos, read from the ZooKeeper membership table that
/// <see cref="ZooKeeperMembershipTable"/> maintains. Registered by <c>UseDiMintZooKeeperClustering</c> on a client.
/// </summary>
public sealed class ZooKeeperGatewayListProvider : IGatewayListProvider, IAsyncDisposable
{
    private readonly ZooKeeperSessionHolder _session;
    private readonly ZooKeeperMembershipStore _store;

    /// <summary>Creates the provider for the cluster of <paramref name="clusterOptions"/>.</summary>
    public ZooKeeperGatewayListProvider(
        IOptions<ZooKeeperClusteringOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        IOptions<GatewayOptions> gatewayOptions,
        ILogger<ZooKeeperGatewayListProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(gatewayOptions);
        _session = new ZooKeeperSessionHolder(options.Value.ConnectionString, options.Value.SessionTimeout, options.Value.Digest, logger);
        // A gateway list looks at each silo's status and gateway port, never at its heartbeat: a read while no row
        // changed is one request however many silos there are.
        _store = new ZooKeeperMembershipStore(_session, clusterOptions.Value.ClusterId, heartbeatsReadEvery: TimeSpan.MaxValue);
        MaxStaleness = gatewayOptions.Value.GatewayListRefreshPeriod;
    }

    /// <summary>The session this provider uses (tests expire it from outside).</summary>
    internal ZooKeeperSessionHolder Session => _session;

    /// <inheritdoc />
    public TimeSpan MaxStaleness { get; }

    /// <inheritdoc />
    public bool IsUpdatable => true;

    /// <inheritdoc />
    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync();

    /// <inheritdoc />
    public async Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default) =>
        await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync();

    /// <inheritdoc />
    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default)
    {
        var table = await _store.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        return
        [
            .. table.Members
                .Select(m => m.Item1)
                .Where(e => e.Status == SiloStatus.Active && e.ProxyPort != 0)
                .Select(e => SiloAddress.New(e.SiloAddress.Endpoint.Address, e.ProxyPort, e.SiloAddress.Generation).ToGatewayUri()),
        ];
    }

    /// <summary>Closes the ZooKeeper session.</summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
