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

    /// <summary>
    /// Stops the cluster and removes its folder (its silos' logs and the clients' histories, about 2 GB a run), as the
    /// other process tests do, unless <c>DIMINT_KEEP_TEST_LOGS</c> is set: a failed schedule prints its offending history.
    /// </summary>
    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
            if (Environment.GetEnvironmentVariable("DIMINT_KEEP_TEST_LOGS") is null)
            {
                Directory.Delete(Cluster.Directory, recursive: true);
            }
        }
    }
}
