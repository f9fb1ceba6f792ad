namespace DiMint.ZooKeeper;

/// <summary>The metadata ZooKeeper keeps for a znode (jute <c>Stat</c>).</summary>
/// <param name="CreatedZxid">The transaction id that created the node.</param>
/// <param name="ModifiedZxid">The transaction id that last changed the node's data.</param>
/// <param name="CreatedTime">Creation time, milliseconds since the Unix epoch.</param>
/// <param name="ModifiedTime">Last modification time, milliseconds since the Unix epoch.</param>
/// <param name="Version">The data version: 0 at creation, +1 on every setData. Used for compare-and-swap.</param>
/// <param name="ChildVersion">The number of changes to the node's children.</param>
/// <param name="AclVersion">The number of changes to the node's ACL.</param>
/// <param name="EphemeralOwner">The owning session id of an ephemeral node, 0 for a persistent one.</param>
/// <param name="DataLength">The length of the node's data in bytes.</param>
/// <param name="NumChildren">The number of children.</param>
/// <param name="ChildrenModifiedZxid">The transaction id that last changed the node's children.</param>
public sealed record ZooKeeperStat(
    long CreatedZxid,
    long ModifiedZxid,
    long CreatedTime,
    long ModifiedTime,
    int Version,
    int ChildVersion,
    int AclVersion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long ChildrenModifiedZxid);
