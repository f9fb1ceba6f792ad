namespace DiMint.ZooKeeper;

/// <summary>
/// A request was refused by the client before sending because its frame is larger than the server accepts
/// (jute.maxbuffer, 1048575 bytes by default). The server would drop the connection instead of answering.
/// </summary>
public sealed class RequestTooLargeException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public RequestTooLargeException(string? path, int frameLength, int maxFrameLength)
        : base(
            ZooKeeperErrorCode.BadArguments,
            path,
            $"The ZooKeeper request for '{path}' is {frameLength} bytes, over the limit of {maxFrameLength} bytes (jute.maxbuffer); it was not sent.")
    {
        FrameLength = frameLength;
        MaxFrameLength = maxFrameLength;
    }

    /// <summary>The size of the refused request frame in bytes.</summary>
    public int FrameLength { get; }

    /// <summary>The largest request frame the client sends.</summary>
    public int MaxFrameLength { get; }
}
