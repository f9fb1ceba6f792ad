namespace DiMint.ZooKeeper;

/// <summary>
/// The session expired (<see cref="ZooKeeperErrorCode.SessionExpired"/>): its ephemeral nodes are gone and the client
/// cannot be used any more. Open a new <see cref="ZooKeeperClient"/>.
/// </summary>
public sealed class SessionExpiredException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public SessionExpiredException()
        : base(ZooKeeperErrorCode.SessionExpired)
    {
    }
}
