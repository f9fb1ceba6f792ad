namespace DiMint;

/// <summary>The key is not stored. A stored <c>null</c> is a value, not a missing key.</summary>
[GenerateSerializer]
public sealed class DiMintKeyNotFoundException : DiMintException
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public DiMintKeyNotFoundException(string key)
        : base(DiMintErrorCode.KeyNotFound, $"Key '{Shorten(key)}' is not stored.")
    {
        Key = key;
    }

    /// <summary>The key that was looked up.</summary>
    [Id(0)]
    public string Key { get; private set; }

    internal static string Shorten(string key) => key.Length <= 64 ? key : string.Concat(key.AsSpan(0, 61), "...");
}
