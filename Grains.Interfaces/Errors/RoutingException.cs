namespace DiMint;

/// <summary>The client could not reach the range owning a key within its retry budget.</summary>
[GenerateSerializer]
public sealed class RoutingException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public RoutingException(string message, int attempts, Exception? innerException = null)
        : base(DiMintErrorCode.RoutingFailed, message, innerException)
    {
        Attempts = attempts;
    }

    /// <summary>How many times the request was tried.</summary>
    [Id(0)]
    public int Attempts { get; private set; }
}
