namespace DiMint.ZooKeeper.Protocol;

/// <summary>A request found its connection already failed before anything was written; it can go to the next one.</summary>
internal sealed class ConnectionNotUsableException : Exception
{
    public ConnectionNotUsableException()
        : base("The connection failed before the request was sent.")
    {
    }
}
