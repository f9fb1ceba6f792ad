using DiMint.ZooKeeper.Server;
using Xunit;

namespace DiMint.Testing.ZooKeeper;

/// <summary>An xunit fixture holding a three-server ZooKeeper ensemble for a test class or collection.</summary>
public sealed class ZooKeeperQuorumFixture : IAsyncLifetime
{
    private ZooKeeperEnsemble? _ensemble;

    /// <summary>The running ensemble.</summary>
    public ZooKeeperEnsemble Ensemble => _ensemble ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>The connection string naming all three servers.</summary>
    public string ConnectionString => Ensemble.ConnectionString;

    /// <inheritdoc />
    public async Task InitializeAsync() => _ensemble = await ZooKeeperEnsemble.StartAsync(3);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_ensemble is not null)
        {
            await _ensemble.DisposeAsync();
        }
    }
}
