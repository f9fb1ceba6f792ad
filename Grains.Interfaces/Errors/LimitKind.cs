namespace DiMint;

/// <summary>Which size limit was exceeded.</summary>
public enum LimitKind
{
    /// <summary>The key's UTF-8 length.</summary>
    KeySize = 1,

    /// <summary>The encoded value's length.</summary>
    ValueSize = 2,

    /// <summary>How deeply lists, dictionaries and sets nest.</summary>
    NestingDepth = 3,
}
