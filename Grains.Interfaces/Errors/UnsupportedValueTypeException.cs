namespace DiMint;

/// <summary>A value holds something the store cannot keep: the type is named, nothing was sent.</summary>
[GenerateSerializer]
public sealed class UnsupportedValueTypeException : DiMintException
{
    /// <summary>Creates the exception for the offending type.</summary>
    public UnsupportedValueTypeException(string typeName, string reason)
        : base(DiMintErrorCode.UnsupportedValueType, $"Values of type '{typeName}' cannot be stored: {reason}")
    {
        TypeName = typeName;
    }

    /// <summary>The full name of the offending .NET type.</summary>
    [Id(0)]
    public string TypeName { get; private set; }
}
