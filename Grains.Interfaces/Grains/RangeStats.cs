namespace DiMint;

/// <summary>What one range holds.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeStats")]
public sealed record RangeStats
{
    /// <summary>The range id.</summary>
    [Id(0)]
    public required int RangeId { get; init; }

    /// <summary>Entries stored.</summary>
    [Id(1)]
    public required long Keys { get; init; }

    /// <summary>Bytes of keys (UTF-8) and encoded values stored.</summary>
    [Id(2)]
    public required long Bytes { get; init; }
}
