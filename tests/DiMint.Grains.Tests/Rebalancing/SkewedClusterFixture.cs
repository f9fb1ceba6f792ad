using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Rebalancing;

/// <summary>
/// Three in-process silos whose balancing policy acts on small data (64 KiB floor, checks every half second), so that a
/// few thousand keys in a narrow hash region are enough to drive automatic splits.
/// </summary>
public sealed class SkewedClusterFixture : InProcessClusterFixture
{
    public const long SplitFloorBytes = 64 * 1024;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "true",
        ["DiMint:Rebalance:BalanceInterval"] = "00:00:00.500",
        ["DiMint:Rebalance:SplitFloorBytes"] = SplitFloorBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DiMint:Rebalance:MergeBelowBytes"] = "16384",
    };
}

[CollectionDefinition(Name)]
public sealed class SkewedClusterCollection : ICollectionFixture<SkewedClusterFixture>
{
    public const string Name = "Skewed cluster";
}
