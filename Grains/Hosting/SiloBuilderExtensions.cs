using DiMint.Grains.Batching;
using DiMint.Grains.Overlord;
using DiMint.Grains.Placement;
using DiMint.Grains.Ranges;
using DiMint.Grains.Replication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Services;
using Orleans.Storage;

namespace DiMint.Grains.Hosting;

/// <summary>Adds DiMint's grains and silo services to an Orleans silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds the range store, ring cache, silo-pinned placement and options (bound from <c>DiMint:Limits</c> and
    /// <c>DiMint:Ring</c>). The ring's storage is added separately: <see cref="AddDiMintMemoryRingStorage"/> for the
    /// embedded default.
    /// </summary>
    public static ISiloBuilder AddDiMint(this ISiloBuilder builder) => builder.AddDiMint(new SiloProcessState());

    /// <summary>
    /// <see cref="AddDiMint(ISiloBuilder)"/> with the range copies of <paramref name="state"/>, which outlives this runtime
    /// (the silo host restarts its runtime in the same process after the cluster declared it dead).
    /// </summary>
    public static ISiloBuilder AddDiMint(this ISiloBuilder builder, SiloProcessState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var services = builder.Services;
        services.AddSingleton(state);
        services.AddSingleton(state.Store);
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new IncarnationRecorder(state, sp.GetRequiredService<ILocalSiloDetails>()));
        services.AddOptions<DiMintLimitsOptions>().BindConfiguration(DiMintLimitsOptions.Section)
            .Validate(o => o.MaxKeyBytes > 0 && o.MaxValueBytes > 0, "Limits must be positive.").ValidateOnStart();
        services.AddOptions<RingOptions>().BindConfiguration(RingOptions.Section)
            .Validate(o => o.InitialRangesPerSilo is > 0 and <= 4096, "InitialRangesPerSilo must be between 1 and 4096.").ValidateOnStart();
        services.AddOptions<ReplicationOptions>().BindConfiguration(ReplicationOptions.Section)
            .Validate(o => o.ReplicationFactor >= 1 && (o.WriteAcks is null || (o.WriteAcks >= 0 && o.WriteAcks < o.ReplicationFactor)), "ReplicationFactor must be at least 1 and WriteAcks (when set) between 0 and ReplicationFactor - 1.")
            .Validate(o => o.AckTimeout > TimeSpan.Zero && o.FailoverTimeout > TimeSpan.Zero && o.ProbeInterval > TimeSpan.Zero && o.ProbeTimeout > TimeSpan.Zero && o.LeaseDuration > TimeSpan.Zero && o.OverlordLeaseDuration > TimeSpan.Zero, "Timeouts must be positive.")
            .Validate(o => o.LeaseDuration < o.FailoverTimeout, "LeaseDuration must be shorter than FailoverTimeout.")
            .Validate(o => o.OverlordStandbys >= 1, "OverlordStandbys must be at least 1.")
            .ValidateOnStart();
        services.AddOptions<RebalanceOptions>().BindConfiguration(RebalanceOptions.Section)
            .Validate(o => o.MaxConcurrentOperations >= 1 && o.TransferBytesPerSecond >= 0 && o.SplitRatio > 1 && o.MoveThreshold > 1, "MaxConcurrentOperations must be at least 1, TransferBytesPerSecond not negative, SplitRatio and MoveThreshold above 1.")
            .Validate(o => o.SplitBelowRangesPerSilo >= 0 && o.SplitBelowRangesPerSilo <= o.MinRangesPerSilo, "SplitBelowRangesPerSilo must be between 0 and MinRangesPerSilo.")
            .Validate(o => o.BalanceInterval > TimeSpan.Zero && o.FenceCatchUp > TimeSpan.Zero && o.CopyLease > TimeSpan.Zero && o.CopyStallTimeout > TimeSpan.Zero, "Intervals and timeouts must be positive.")
            .Validate(o => o.MergeBelowBytes <= 2 * o.SplitFloorBytes && o.SplitFloorBytes <= o.MaxRangeBytes, "MergeBelowBytes must be at most twice SplitFloorBytes (or the halves of a split would be merged again), and SplitFloorBytes at most MaxRangeBytes.")
            .ValidateOnStart();
        services.AddOptions<DataPortOptions>().BindConfiguration(DataPortOptions.Section)
            .Validate(o => o.Port is >= 0 and <= 65535, "DataPort:Port must be between 0 and 65535.")
            .Validate(o => o.MaxConnections > 0 && o.MaxConnectionsPerAddress > 0 && o.MaxRequestsInFlight > 0 && o.MaxUnreadBytes > 0, "DataPort limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton(typeof(LocalGrains<>));
        services.AddSingleton<ReplicationChannel>();
        services.AddSingleton<RingCache>();
        services.AddSingleton(TimeProvider.System);
        services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        builder.AddGrainDirectory(SiloPinnedGrainDirectory.Name, static (_, _) => new SiloPinnedGrainDirectory());
        // Open unless UseDiMintClusterSecret gave a secret (before or after this).
        services.TryAddSingleton(ClusterAccess.Open);
        services.AddSingleton<BatchExecutor>();
        services.AddSingleton<ILocalBatches, LocalBatches>();
        services.AddSingleton<ReplicationReceiver>();
        services.AddSingleton<DataPortCodec>();
        services.AddSingleton(sp => new DataPorts(
            sp.GetRequiredService<DataPortCodec>(),
            sp.GetRequiredService<IOptions<ReplicationOptions>>().Value.AckTimeout,
            sp.GetRequiredService<ClusterAccess>().Secret,
            sp.GetService<ClusterTls>()));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OverlordWatch>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PeerConnections>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, JitWarmup>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ExpirySweeper>();
        // The ring storage's serializer (whatever storage keeps the ring): Orleans' storage options take a serializer
        // keyed by their provider's name before the silo's default.
        services.AddKeyedSingleton<Orleans.Storage.IGrainStorageSerializer>(
            DiMintStorage.Ring, static (sp, _) => new RingStorageSerializer(sp.GetRequiredService<Orleans.Storage.IGrainStorageSerializer>()));
        services.AddSingleton<PauseMeter>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PauseMeter>());
        services.AddSingleton<OverlordElection>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<OverlordElection>());
        services.AddPlacementDirector<OverlordPlacement, OverlordPlacementDirector>();
        services.AddSingleton<Orleans.Runtime.GrainDirectory.IGrainDirectoryCache, DirectoryCache>();
        builder.AddGrainDirectory(OverlordDirectory.Name, static (sp, _) => new OverlordDirectory(sp.GetRequiredService<OverlordElection>()));
        services.AddSingleton<DataPortEndpoint>();
        services.AddSingleton<DataPortListener>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DataPortListener>());
        services.AddSingleton<IGrainService>(sp => ActivatorUtilities.CreateInstance<SiloBatchService>(
            sp, SiloBatchServiceId.At(SiloAddress.Zero)));
        services.AddSingleton<IGrainService>(sp => ActivatorUtilities.CreateInstance<ReplicationService>(
            sp, ReplicationServiceId.At(SiloAddress.Zero)));
        services.AddDiMintSiloMetrics();
        return builder;
    }

    /// <summary>
    /// Every inbound (silo port and gateway) and outbound connection of the silo, and its data port's, prove
    /// <paramref name="secret"/> before anything else (<see cref="ClusterHandshake"/>).
    /// </summary>
    public static ISiloBuilder UseDiMintClusterSecret(this ISiloBuilder builder, ClusterSecret secret)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(secret);
        builder.Services.AddSingleton(new ClusterAccess(secret));
        return builder.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(c => c.AcceptClusterSecret(secret, "silo port"));
            o.ConfigureGatewayInboundConnection(c => c.AcceptClusterSecret(secret, "gateway"));
            o.ConfigureSiloOutboundConnection(c => c.ProveClusterSecret(secret));
        });
    }

    /// <summary>
    /// Orleans' connections run TLS with <paramref name="tls"/>: silos show each other their certificates; clients check
    /// the silo's and may show none. Call it before <see cref="UseDiMintClusterSecret"/>, so the secret's handshake runs
    /// inside TLS. The data port runs TLS with the same rules (its connections out, replication, show the silo's
    /// certificate), and the secret's handshake inside it.
    /// </summary>
    public static ISiloBuilder UseDiMintTls(this ISiloBuilder builder, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tls);
        if (tls.Certificate is null)
        {
            throw new ArgumentException("A silo's TLS needs its own certificate (--tls-certificate).", nameof(tls));
        }

        var silos = tls.Options();
        var clients = tls.Options(peerMayShowNone: true);
        builder.Services.AddSingleton(tls);
        return builder.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(c => c.UseServerTls(silos));
            o.ConfigureGatewayInboundConnection(c => c.UseServerTls(clients));
            o.ConfigureSiloOutboundConnection(c => c.UseClientTls(silos));
        });
    }

    /// <summary>
    /// Keeps the ring in Orleans' in-memory grain storage: for one process (tests), as it is lost with the silo that holds
    /// it. A local cluster of several processes keeps it in files (<see cref="AddDiMintFileRingStorage"/>).
    /// </summary>
    public static ISiloBuilder AddDiMintMemoryRingStorage(this ISiloBuilder builder) =>
        builder.AddMemoryGrainStorage(DiMintStorage.Ring);

    /// <summary>
    /// Keeps the ring in a file in <paramref name="directory"/>, which every silo of a local cluster (one machine) shares:
    /// it outlives any of them (<see cref="FileGrainStorage"/>).
    /// </summary>
    public static ISiloBuilder AddDiMintFileRingStorage(this ISiloBuilder builder, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var name = DiMintStorage.Ring;
        builder.Services.AddOptions<FileGrainStorageOptions>(name).Configure(o => o.Directory = directory);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FileGrainStorageOptions>, FileGrainStorageOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Transient<
            IPostConfigureOptions<FileGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<FileGrainStorageOptions>>());
        builder.Services.AddGrainStorage(name, (services, providerName) =>
            new FileGrainStorage(providerName, services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(providerName), services.GetRequiredService<TimeProvider>()));
        return builder;
    }

    internal static DiMintLimitsOptions Limits(this IOptions<DiMintLimitsOptions> options) => options.Value;

    /// <summary>
    /// Records each runtime's silo address in the process state as it starts, and freezes the master copies as it begins
    /// to stop, long before its silo port closes: a silo port that refuses connections then means no master of that
    /// runtime serves (a promotion relies on it, <see cref="IRangeReplicaGrain.FenceAsync"/>).
    /// </summary>
    private sealed class IncarnationRecorder(SiloProcessState state, ILocalSiloDetails silo) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle)
        {
            lifecycle.Subscribe(nameof(IncarnationRecorder), ServiceLifecycleStage.RuntimeInitialize, _ =>
            {
                state.Started(silo.SiloAddress);
                return Task.CompletedTask;
            });
            lifecycle.Subscribe(nameof(IncarnationRecorder), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ =>
            {
                state.FreezeMasters();
                return Task.CompletedTask;
            });
        }
    }
}
