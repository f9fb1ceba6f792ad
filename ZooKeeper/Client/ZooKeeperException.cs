namespace DiMint.ZooKeeper;

/// <summary>
/// A ZooKeeper operation failed with a result code. Callers switch on <see cref="Code"/> (or catch a subclass such as
/// <see cref="NoNodeException"/>) instead of parsing the message.
/// </summary>
public class ZooKeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>.</summary>
    public ZooKeeperException(ZooKeeperErrorCode code, string? path = null, string? message = null, Exception? innerException = null)
        : base(message ?? DescribeCode(code, path), innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The ZooKeeper result code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The path the failed request named, relative to the client's chroot, when known.</summary>
    public string? Path { get; }

    /// <summary>Creates the most specific exception type for <paramref name="code"/>.</summary>
    public static ZooKeeperException Create(ZooKeeperErrorCode code, string? path = null) => code switch
    {
        ZooKeeperErrorCode.NoNode => new NoNodeException(path),
        ZooKeeperErrorCode.NodeExists => new NodeExistsException(path),
        ZooKeeperErrorCode.BadVersion => new BadVersionException(path),
        ZooKeeperErrorCode.NotEmpty => new NotEmptyException(path),
        ZooKeeperErrorCode.SessionExpired => new SessionExpiredException(),
        ZooKeeperErrorCode.ConnectionLoss => new ConnectionLossException(),
        _ => new ZooKeeperException(code, path),
    };

    private static string DescribeCode(ZooKeeperErrorCode code, string? path)
    {
        var text = code switch
        {
            ZooKeeperErrorCode.NoNode => "The node does not exist",
            ZooKeeperErrorCode.NodeExists => "The node already exists",
            ZooKeeperErrorCode.BadVersion => "The node's version does not match the expected version",
            ZooKeeperErrorCode.NotEmpty => "The node has children",
            ZooKeeperErrorCode.SessionExpired => "The ZooKeeper session expired",
            ZooKeeperErrorCode.ConnectionLoss => "The connection to ZooKeeper was lost; the outcome of the request is unknown",
            ZooKeeperErrorCode.NoAuth => "The node's ACL does not let this client in (give DiMint the ZooKeeper user that owns it: DiMint:ZooKeeper:Digest or --zookeeper-auth-file)",
            ZooKeeperErrorCode.AuthFailed => "ZooKeeper refused the credentials",
            _ => $"ZooKeeper error {code} ({(int)code})",
        };
        return path is null ? text + "." : $"{text}: {path}";
    }
}
