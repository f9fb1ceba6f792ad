namespace DiMint.ZooKeeper;

/// <summary>The node does not exist (<see cref="ZooKeeperErrorCode.NoNode"/>).</summary>
public sealed class NoNodeException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NoNodeException(string? path = null)
        : base(ZooKeeperErrorCode.NoNode, path)
    {
    }
}
