using DiMint.ZooKeeper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Orleans.Hosting;

/// <summary>Registers DiMint's ZooKeeper clustering and grain storage with Orleans silos and clients.</summary>
public static class DiMintZooKeeperHostingExtensions
{
    /// <summary>
    /// Uses ZooKeeper for the silo's membership table (<see cref="ZooKeeperMembershipTable"/>) under
    /// <c>/&lt;ClusterId&gt;</c>.
    /// </summary>
    public static ISiloBuilder UseDiMintZooKeeperClustering(this ISiloBuilder builder, Action<ZooKeeperClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddClusteringOptions(builder.Services, configure);
        builder.Services.AddSingleton<IMembershipTable, ZooKeeperMembershipTable>();
        return builder;
    }

    /// <summary>
    /// Uses ZooKeeper for the client's gateway list (<see cref="ZooKeeperGatewayListProvider"/>): the gateways of the
    /// active silos in the membership table of the same cluster id.
    /// </summary>
    public static IClientBuilder UseDiMintZooKeeperClustering(this IClientBuilder builder, Action<ZooKeeperClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddClusteringOptions(builder.Services, configure);
        builder.Services.AddSingleton<IGatewayListProvider, ZooKeeperGatewayListProvider>();

        // A gateway cut off by a partition does not close its connections (nothing answers; nothing resets), and calls
        // Orleans sends through it (every call to a given grain goes through the same gateway) wait out their timeouts
        // until the client drops it from its list: re-read the list every 2 s rather than every minute, so a silo
        // declared dead stops taking the client's calls within seconds. Each refresh is a few small ZooKeeper reads.
        builder.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
        return builder;
    }

    /// <summary>
    /// Adds the grain storage provider <paramref name="name"/> that keeps each state in a ZooKeeper znode with its
    /// version as the ETag (<see cref="ZooKeeperGrainStorage"/>).
    /// </summary>
    public static ISiloBuilder AddDiMintZooKeeperGrainStorage(this ISiloBuilder builder, string name, Action<ZooKeeperStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<ZooKeeperStorageOptions>(name)
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "ZooKeeperStorageOptions.ConnectionString is required.");
        builder.Services.TryAddEnumerable(ServiceDescriptor.Transient<
            IPostConfigureOptions<ZooKeeperStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<ZooKeeperStorageOptions>>());
        builder.Services.AddGrainStorage(name, (services, providerName) => ActivatorUtilities.CreateInstance<ZooKeeperGrainStorage>(
            services, providerName, services.GetRequiredService<IOptionsMonitor<ZooKeeperStorageOptions>>().Get(providerName)));
        return builder;
    }

    private static void AddClusteringOptions(IServiceCollection services, Action<ZooKeeperClusteringOptions> configure) =>
        services.AddOptions<ZooKeeperClusteringOptions>()
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "ZooKeeperClusteringOptions.ConnectionString is required.")
            .ValidateOnStart();
}
