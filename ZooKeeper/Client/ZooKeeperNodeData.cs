namespace DiMint.ZooKeeper;

/// <summary>The data and metadata of a znode, as returned by <see cref="ZooKeeperClient.GetDataAsync"/>.</summary>
/// <param name="Data">The node's data (empty when the node holds none).</param>
/// <param name="Stat">The node's metadata; <see cref="ZooKeeperStat.Version"/> is its compare-and-swap token.</param>
public sealed record ZooKeeperNodeData(byte[] Data, ZooKeeperStat Stat);
