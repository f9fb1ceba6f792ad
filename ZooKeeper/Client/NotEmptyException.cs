namespace DiMint.ZooKeeper;

/// <summary>The node has children and cannot be deleted (<see cref="ZooKeeperErrorCode.NotEmpty"/>).</summary>
public sealed class NotEmptyException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NotEmptyException(string? path = null)
        : base(ZooKeeperErrorCode.NotEmpty, path)
    {
    }
}
