namespace DiMint;

/// <summary>A range of the ring with what it holds.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeStatusInfo")]
public sealed record RangeStatusInfo
{
    /// <summary>The range and where it lives.</summary>
    [Id(0)]
    public required RangeInfo Range { get; init; }

    /// <summary>Entries held, or -1 when the master did not answer.</summary>
    [Id(1)]
    public long Keys { get; init; }

    /// <summary>Bytes held, or -1 when the master did not answer.</summary>
    [Id(2)]
    public long Bytes { get; init; }
}
