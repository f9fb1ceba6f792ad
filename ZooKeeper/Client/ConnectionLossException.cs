namespace DiMint.ZooKeeper;

/// <summary>
/// The connection was lost before a result arrived, or no server could be reached in time
/// (<see cref="ZooKeeperErrorCode.ConnectionLoss"/>). A request that was sent may or may not have been applied; the
/// client does not replay it.
/// </summary>
public sealed class ConnectionLossException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionLossException(string? message = null, Exception? innerException = null)
        : base(ZooKeeperErrorCode.ConnectionLoss, null, message, innerException)
    {
    }
}
