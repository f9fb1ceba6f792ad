namespace DiMint.ZooKeeper;

/// <summary>ZooKeeper result codes (KeeperException.Code), with their wire values.</summary>
public enum ZooKeeperErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>A server-side system error.</summary>
    SystemError = -1,

    /// <summary>In a failed multi, an operation that was not applied because another one failed.</summary>
    RuntimeInconsistency = -2,

    /// <summary>A data inconsistency was found.</summary>
    DataInconsistency = -3,

    /// <summary>The connection to the server was lost before the result was known. The request may or may not have been applied.</summary>
    ConnectionLoss = -4,

    /// <summary>A request or response could not be (de)serialized.</summary>
    MarshallingError = -5,

    /// <summary>The operation is not implemented by the server.</summary>
    Unimplemented = -6,

    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,

    /// <summary>Invalid arguments.</summary>
    BadArguments = -8,

    /// <summary>The session id is unknown to the server.</summary>
    UnknownSession = -12,

    /// <summary>No quorum of the new configuration is connected.</summary>
    NewConfigNoQuorum = -13,

    /// <summary>Another reconfiguration is in progress.</summary>
    ReconfigInProgress = -14,

    /// <summary>An API error.</summary>
    ApiError = -100,

    /// <summary>The node does not exist.</summary>
    NoNode = -101,

    /// <summary>Not authorized.</summary>
    NoAuth = -102,

    /// <summary>The expected version did not match the node's version.</summary>
    BadVersion = -103,

    /// <summary>Ephemeral nodes may not have children.</summary>
    NoChildrenForEphemerals = -108,

    /// <summary>The node already exists.</summary>
    NodeExists = -110,

    /// <summary>The node has children and cannot be deleted.</summary>
    NotEmpty = -111,

    /// <summary>The session expired: its ephemeral nodes are gone; open a new client.</summary>
    SessionExpired = -112,

    /// <summary>An invalid callback.</summary>
    InvalidCallback = -113,

    /// <summary>An invalid ACL.</summary>
    InvalidAcl = -114,

    /// <summary>Authentication failed.</summary>
    AuthFailed = -115,

    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,

    /// <summary>A write was sent to a read-only server.</summary>
    NotReadOnly = -119,

    /// <summary>An ephemeral node was requested on a local session.</summary>
    EphemeralOnLocalSession = -120,

    /// <summary>No such watcher.</summary>
    NoWatcher = -121,

    /// <summary>The request timed out.</summary>
    RequestTimeout = -122,

    /// <summary>Reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,

    /// <summary>The session was closed and requires SASL authentication.</summary>
    SessionClosedRequireSaslAuth = -124,

    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,

    /// <summary>The operation was throttled by the server.</summary>
    Throttled = -127,
}
