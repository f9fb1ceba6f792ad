using DiMint.ZooKeeper.Server;
using Xunit;

namespace DiMint.Testing.ZooKeeper;

/// <summary>An xunit fixture holding one standalone ZooKeeper server for a test class or collection.</summary>
public sealed class ZooKeeperStandaloneFixture : IAsyncLifetime
{
    private ZooKeeperEnsemble? _ensemble;

    /// <summary>The running server.</summary>
    public ZooKeeperEnsemble Ensemble => _ensemble ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>The connection string of the server.</summary>
    public string ConnectionString => Ensemble.ConnectionString;

    /// <inheritdoc />
    public async Task InitializeAsync() => _ensemble = await ZooKeeperEnsemble.StartStandaloneAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_ensemble is not null)
        {
            await _ensemble.DisposeAsync();
        }
    }
}
