namespace DiMint.ZooKeeper.Protocol;

/// <summary>A frame from the server did not follow the protocol; the connection is dropped.</summary>
internal sealed class ZooKeeperProtocolException : Exception
{
    public ZooKeeperProtocolException(string message)
        : base(message)
    {
    }
}
