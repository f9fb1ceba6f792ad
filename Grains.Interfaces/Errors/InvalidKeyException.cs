namespace DiMint;

/// <summary>The key is null, empty or of a type that cannot be a key.</summary>
[GenerateSerializer]
public sealed class InvalidKeyException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public InvalidKeyException(string message, string? keyType = null)
        : base(DiMintErrorCode.InvalidKey, message)
    {
        KeyType = keyType;
    }

    /// <summary>The .NET type of the rejected key, when one was given.</summary>
    [Id(0)]
    public string? KeyType { get; private set; }
}
