using DiMint.Testing.ZooKeeper;

namespace DiMint.ZooKeeper.Tests;

/// <summary>Tests sharing one standalone ZooKeeper server.</summary>
[CollectionDefinition(Name)]
public sealed class StandaloneZooKeeperCollection : ICollectionFixture<ZooKeeperStandaloneFixture>
{
    public const string Name = "ZooKeeper standalone";
}
