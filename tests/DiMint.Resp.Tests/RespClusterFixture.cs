using DiMint.Client;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace DiMint.Resp.Tests;

/// <summary>
/// Three in-process silos and two Redis-protocol ports over them, as a silo runs one: <see cref="Open"/> without a
/// password, and <see cref="Guarded"/> asking for <see cref="Secret"/> (AUTH).
/// </summary>
public sealed class RespClusterFixture : InProcessClusterFixture, IAsyncLifetime
{
    public const string Secret = "resp-tests-cluster-secret-0123456789";

    public RespServer Open { get; private set; } = null!;

    public RespServer Guarded { get; private set; } = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Open = new RespServer(new DimintClient(Cluster.Client), new RespServerOptions(), NullLogger.Instance);
        Open.Start();
        Guarded = new RespServer(new DimintClient(Cluster.Client), new RespServerOptions { Secret = ClusterSecret.Parse(Secret) }, NullLogger.Instance);
        Guarded.Start();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Open.DisposeAsync();
        await Guarded.DisposeAsync();
        await DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RespClusterCollection : ICollectionFixture<RespClusterFixture>
{
    public const string Name = "RESP cluster";
}
