namespace DiMint;

/// <summary>
/// Base of every error DiMint raises on purpose. <see cref="Code"/> tells the kind, and each subclass
/// carries the fields that explain it, so callers never parse messages.
/// </summary>
[GenerateSerializer]
public abstract class DiMintException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected DiMintException(DiMintErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The kind of error.</summary>
    [Id(0)]
    public DiMintErrorCode Code { get; private set; }
}
