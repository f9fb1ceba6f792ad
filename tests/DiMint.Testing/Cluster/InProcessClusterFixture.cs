using DiMint.Client;
using DiMint.Grains.Hosting;
using Orleans.TestingHost;

namespace DiMint.Testing.Cluster;

/// <summary>
/// Three in-process silos (Orleans TestingHost) with DiMint's grains, shared by a test collection, and a
/// <see cref="DimintClient"/> over the test cluster's client.
/// </summary>
public sealed class InProcessClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    public TestCluster Cluster { get; private set; } = null!;

    public DimintClient Client { get; private set; } = null!;

    /// <summary>A new client with its own ring cache, as a second application would have.</summary>
    public DimintClient NewClient(DimintClientOptions? options = null) => new(Cluster.Client, options);

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(SiloCount);
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

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddDiMint().AddDiMintMemoryRingStorage();
    }
}
