namespace DiMint;

/// <summary>
/// The cluster secret did not match: this side's secret is not the silo's (or this side has none and the silo asks for
/// one, or the silo has none and this side asks it to prove one). Nothing was sent; retrying does not help.
/// </summary>
[GenerateSerializer]
public sealed class UnauthorizedException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public UnauthorizedException(string message, Exception? innerException = null)
        : base(DiMintErrorCode.Unauthorized, message, innerException)
    {
    }
}
