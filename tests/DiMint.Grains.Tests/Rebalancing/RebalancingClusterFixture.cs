using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Rebalancing;

/// <summary>Three in-process silos with automatic balancing on, checking every second; shared by the rebalancing scenario.</summary>
public sealed class RebalancingClusterFixture : InProcessClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "true",
        ["DiMint:Rebalance:BalanceInterval"] = "00:00:01",
        ["DiMint:Rebalance:TransferBytesPerSecond"] = "8388608",
    };
}

[CollectionDefinition(Name)]
public sealed class RebalancingClusterCollection : ICollectionFixture<RebalancingClusterFixture>
{
    public const string Name = "Rebalancing cluster";
}
