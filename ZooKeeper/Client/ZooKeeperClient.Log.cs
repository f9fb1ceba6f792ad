using Microsoft.Extensions.Logging;

namespace DiMint.ZooKeeper;

public sealed partial class ZooKeeperClient
{
    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper session 0x{SessionId:x} established with {Server}, timeout {TimeoutMs} ms")]
    private static partial void LogSessionEstablished(ILogger logger, long sessionId, string server, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper session 0x{SessionId:x} resumed on {Server}")]
    private static partial void LogSessionResumed(ILogger logger, long sessionId, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZooKeeper session 0x{SessionId:x} lost its connection to {Server}; reconnecting")]
    private static partial void LogDisconnected(ILogger logger, long sessionId, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZooKeeper session 0x{SessionId:x} expired")]
    private static partial void LogSessionExpired(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not connect to ZooKeeper server {Host}:{Port}: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing ZooKeeper session 0x{SessionId:x} failed: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A ZooKeeper state change handler threw")]
    private static partial void LogStateHandlerFailed(ILogger logger, Exception exception);
}
