namespace DiMint.ZooKeeper;

/// <summary>The node already exists (<see cref="ZooKeeperErrorCode.NodeExists"/>).</summary>
public sealed class NodeExistsException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NodeExistsException(string? path = null)
        : base(ZooKeeperErrorCode.NodeExists, path)
    {
    }
}
