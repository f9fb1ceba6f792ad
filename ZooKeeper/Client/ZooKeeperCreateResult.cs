namespace DiMint.ZooKeeper;

/// <summary>The result of <see cref="ZooKeeperClient.CreateAsync"/>.</summary>
/// <param name="Path">The created path, relative to the chroot (with the sequence suffix for sequential nodes).</param>
/// <param name="Stat">The new node's metadata.</param>
public sealed record ZooKeeperCreateResult(string Path, ZooKeeperStat Stat);
