namespace DiMint;

/// <summary>
/// A batch or its answer is larger than a data port frame may be (<see cref="FramedSocket.MaxFrameBytes"/>); it was not
/// sent. The client then sends the batch's operations one by one.
/// </summary>
[GenerateSerializer]
public sealed class FrameTooLargeException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public FrameTooLargeException(long bytes)
        : base(DiMintErrorCode.LimitExceeded, $"A data port frame of {bytes} bytes is larger than the limit of {FramedSocket.MaxFrameBytes} bytes.")
    {
        Bytes = bytes;
    }

    /// <summary>The frame's size.</summary>
    [Id(0)]
    public long Bytes { get; private set; }
}
