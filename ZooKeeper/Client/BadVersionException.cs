namespace DiMint.ZooKeeper;

/// <summary>The expected version did not match the node's version (<see cref="ZooKeeperErrorCode.BadVersion"/>).</summary>
public sealed class BadVersionException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BadVersionException(string? path = null)
        : base(ZooKeeperErrorCode.BadVersion, path)
    {
    }
}
