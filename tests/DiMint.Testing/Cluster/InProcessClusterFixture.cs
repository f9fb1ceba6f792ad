using DiMint.Client;
using DiMint.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace DiMint.Testing.Cluster;

/// <summary>
/// Three in-process silos (Orleans TestingHost, over TCP) with DiMint's grains, shared by a test collection, and a
/// <see cref="DimintClient"/> over the test cluster's client. Automatic balancing is off here, so the ring changes only
/// when a test changes it; fixtures for balancing tests turn it on through <see cref="Settings"/>. The silos run
/// <see cref="CallGate"/>, so a test can hold one grain's calls.
/// </summary>
public class InProcessClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    public TestCluster Cluster { get; private set; } = null!;

    public DimintClient Client { get; private set; } = null!;

    /// <summary>Configuration the silos start with (<c>DiMint:...</c> keys).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
    };

    /// <summary>
    /// Settings under <see cref="Settings"/> for every in-process cluster: the failure detector's timeouts at 1 s rather
    /// than the 600 ms a deployment gets. Here three silos share one test process (one garbage collector) and two cores
    /// with the other test classes running at the same time, and a probe or a lease renewal that stalled longer than
    /// 600 ms failed a silo or moved the overlord in the middle of tests about something else (a replica move rolled back,
    /// a killed silo that had just taken the overlord over). Silos in processes of their own, as deployed, are measured
    /// with the 600 ms defaults (the fault harness, and 10 minutes of full load without a false failover).
    /// </summary>
    private static readonly Dictionary<string, string?> InProcessTimeouts = new()
    {
        ["DiMint:Replication:FailoverTimeout"] = "00:00:01",
        ["DiMint:Replication:OverlordLeaseDuration"] = "00:00:01",
    };

    /// <summary>A new client with its own ring cache, as a second application would have.</summary>
    public DimintClient NewClient(DimintClientOptions? options = null) => new(Cluster.Client, options);

    /// <summary>The batch service of <paramref name="silo"/>, addressed through its own gateway (as the client does).</summary>
    public ISiloBatchService BatchServiceAt(SiloHandle silo) =>
        Cluster.Client.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(SiloAddress.New(silo.GatewayAddress.Endpoint, 0)));

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(SiloCount);

        // Real sockets, as in a deployment: a silo port that refuses connections is how the overlord, the replicas and
        // the overlord's standbys tell a dead silo (TestCluster's default in-memory transport listens on no port).
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(InProcessTimeouts).AddInMemoryCollection(Settings));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Client = new DimintClient(Cluster.Client);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>A setting that keeps the ring (and the overlord's lease) in files in this folder instead of in memory, so they outlive any one silo.</summary>
    public const string RingDirectorySetting = "DiMint:Testing:RingDirectory";

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddDiMint().AddIncomingGrainCallFilter<CallGate>();
            if (siloBuilder.Configuration[RingDirectorySetting] is { Length: > 0 } directory)
            {
                siloBuilder.AddDiMintFileRingStorage(directory);
            }
            else
            {
                siloBuilder.AddDiMintMemoryRingStorage();
            }
        }
    }
}
