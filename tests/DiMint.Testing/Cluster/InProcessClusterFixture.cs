using DiMint.Client;
using DiMint.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(Settings));
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
            if (Environment.GetEnvironmentVariable(FileLog.Variable) is { Length: > 0 } log)
            {
                siloBuilder.Services.AddLogging(l => l.AddProvider(new FileLog(log, siloBuilder.Configuration["Orleans:Name"] ?? siloBuilder.Configuration["SiloName"] ?? "silo")));
            }
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
