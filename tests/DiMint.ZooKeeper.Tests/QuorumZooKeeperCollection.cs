using DiMint.Testing.ZooKeeper;

namespace DiMint.ZooKeeper.Tests;

/// <summary>Tests sharing one three-server ZooKeeper ensemble (never more than one ensemble at a time).</summary>
[CollectionDefinition(Name)]
public sealed class QuorumZooKeeperCollection : ICollectionFixture<ZooKeeperQuorumFixture>
{
    public const string Name = "ZooKeeper quorum";
}
