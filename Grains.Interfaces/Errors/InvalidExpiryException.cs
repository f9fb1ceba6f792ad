namespace DiMint;

/// <summary>An expiry that is not positive, or longer than <see cref="ValueExpiry.MaxTtl"/>; nothing was changed.</summary>
[GenerateSerializer]
public sealed class InvalidExpiryException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public InvalidExpiryException(TimeSpan ttl)
        : base(DiMintErrorCode.InvalidExpiry, $"An expiry of {ttl} is not valid: it must be positive and at most {ValueExpiry.MaxTtl.TotalDays:0} days.")
    {
        Ttl = ttl;
    }

    /// <summary>The expiry that was offered.</summary>
    [Id(0)]
    public TimeSpan Ttl { get; private set; }
}
