namespace DiMint.ZooKeeper;

/// <summary>The outcome of one operation of a <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
/// <param name="Kind">The kind of the operation at this position.</param>
/// <param name="Code">
/// <see cref="ZooKeeperErrorCode.Ok"/> when the operation applied (or, in a failed transaction, would have applied);
/// its error code when it caused the failure; <see cref="ZooKeeperErrorCode.RuntimeInconsistency"/> when it was not
/// evaluated because an earlier operation failed.
/// </param>
/// <param name="Path">The created path for a create that applied, otherwise the path the operation named (relative to the chroot).</param>
/// <param name="Stat">The node's new metadata (setData in a successful transaction).</param>
public sealed record ZooKeeperOpResult(ZooKeeperOpKind Kind, ZooKeeperErrorCode Code, string? Path = null, ZooKeeperStat? Stat = null);
