using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// Three in-process silos at RF 2 (one silo holds no copy of a range, so a copy can go there), with copies throttled to
/// 256 KiB/s in 32 KiB chunks (a megabyte takes seconds, in many chunks) and dropped when nobody asked about them for 3 s.
/// </summary>
public sealed class CopyClusterFixture : InProcessClusterFixture
{
    public const long TransferBytesPerSecond = 256 * 1024;

    public const int SnapshotChunkBytes = 32 * 1024;

    public static readonly TimeSpan CopyLease = TimeSpan.FromSeconds(3);

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        ["DiMint:Replication:ReplicationFactor"] = "2",
        ["DiMint:Replication:SnapshotChunkBytes"] = $"{SnapshotChunkBytes}",
        ["DiMint:Rebalance:TransferBytesPerSecond"] = $"{TransferBytesPerSecond}",
        ["DiMint:Rebalance:CopyLease"] = $"{CopyLease:c}",
    };
}

[CollectionDefinition(Name)]
public sealed class CopyClusterCollection : ICollectionFixture<CopyClusterFixture>
{
    public const string Name = "Copy cluster";
}
