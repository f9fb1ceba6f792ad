namespace DiMint;

/// <summary>An admin operation on the ring was refused; the ring is unchanged.</summary>
[GenerateSerializer]
public sealed class RingOperationException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public RingOperationException(DiMintErrorCode code, string message)
        : base(code, message)
    {
    }
}
