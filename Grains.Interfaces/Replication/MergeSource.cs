namespace DiMint;

/// <summary>One of the two ranges a merge combines, as its master had it at the fence.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.MergeSource")]
public sealed record MergeSource
{
    /// <summary>The range.</summary>
    [Id(0)]
    public required RangeInfo Range { get; init; }

    /// <summary>The epoch of the writes its copies hold.</summary>
    [Id(1)]
    public required long SourceEpoch { get; init; }

    /// <summary>The last write applied at the fence.</summary>
    [Id(2)]
    public required long Seq { get; init; }
}
