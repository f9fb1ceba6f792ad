namespace DiMint;

/// <summary>The stored value cannot be read as the requested type.</summary>
[GenerateSerializer]
public sealed class ValueTypeMismatchException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public ValueTypeMismatchException(string storedType, string requestedType)
        : base(DiMintErrorCode.ValueTypeMismatch, $"A stored {storedType} cannot be read as '{requestedType}'.")
    {
        StoredType = storedType;
        RequestedType = requestedType;
    }

    /// <summary>The DiMint type of the stored value (integer, list, set ...).</summary>
    [Id(0)]
    public string StoredType { get; private set; }

    /// <summary>The .NET type the caller asked for.</summary>
    [Id(1)]
    public string RequestedType { get; private set; }
}
