namespace DiMint.ZooKeeper;

/// <summary>The state of a <see cref="ZooKeeperClient"/> session.</summary>
public enum ZooKeeperState
{
    /// <summary>Establishing the first connection.</summary>
    Connecting = 0,

    /// <summary>Connected to a server; requests are sent.</summary>
    Connected = 1,

    /// <summary>The connection was lost; the client is reconnecting with the same session. Requests wait.</summary>
    Disconnected = 2,

    /// <summary>The server reported the session expired. Terminal: open a new client.</summary>
    Expired = 3,

    /// <summary>The session was closed or the client disposed. Terminal.</summary>
    Closed = 4,
}
