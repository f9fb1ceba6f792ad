namespace DiMint.ZooKeeper;

/// <summary>How a znode is created (the wire values of ZooKeeper's CreateMode flags).</summary>
public enum CreateMode
{
    /// <summary>A node that stays until it is deleted.</summary>
    Persistent = 0,

    /// <summary>A node deleted when the session that created it ends.</summary>
    Ephemeral = 1,

    /// <summary>A persistent node whose name gets a monotonically increasing 10-digit suffix.</summary>
    PersistentSequential = 2,

    /// <summary>An ephemeral node whose name gets a monotonically increasing 10-digit suffix.</summary>
    EphemeralSequential = 3,
}
