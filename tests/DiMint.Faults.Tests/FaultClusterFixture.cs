using DiMint.Faults.Cluster;

namespace DiMint.Faults.Tests;

/// <summary>One lab cluster (5 silos, a 3-server ZooKeeper ensemble, 2 clients, each in its own network namespace) for the schedules of a test class.</summary>
public sealed class FaultClusterFixture : IAsyncLifetime
{
    private readonly List<string> _log = [];

    public FaultCluster Cluster { get; private set; } = null!;

    /// <summary>What building the cluster printed.</summary>
    public IReadOnlyList<string> Log => _log;

    public async Task InitializeAsync() => Cluster = await FaultCluster.StartAsync(new FaultClusterOptions(), _log.Add);

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
