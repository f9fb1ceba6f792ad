namespace DiMint.ZooKeeper;

/// <summary>The children of a znode and the parent's metadata, read atomically (getChildren2).</summary>
/// <param name="Children">The child names (not paths), in the server's order.</param>
/// <param name="Stat">The parent's metadata at the time of the read.</param>
public sealed record ZooKeeperChildren(IReadOnlyList<string> Children, ZooKeeperStat Stat);
