namespace DiMint.ZooKeeper.Protocol;

/// <summary>The server's answer to the session handshake; a non-positive timeout means the session expired.</summary>
internal readonly record struct ConnectResponse(int ProtocolVersion, int TimeoutMs, long SessionId, byte[] Password);
