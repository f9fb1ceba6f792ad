namespace DiMint;

/// <summary>One range's part of a <see cref="ISiloBatchService"/> batch: keys to read and entries to write.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeBatch")]
public sealed record RangeBatch
{
    /// <summary>The range's master grain (<see cref="RangeInfo.GrainKey"/>).</summary>
    [Id(0)]
    public required string GrainKey { get; init; }

    /// <summary>Keys to read (one <see cref="IRangeGrain.GetManyAsync"/>).</summary>
    [Id(1)]
    public string[] ReadKeys { get; init; } = [];

    /// <summary>Keys to write, in call order; a key may repeat and the last value wins (one <see cref="IRangeGrain.SetManyAsync"/>).</summary>
    [Id(2)]
    public string[] WriteKeys { get; init; } = [];

    /// <summary>The encoded values of <see cref="WriteKeys"/>, in the same order.</summary>
    [Id(3)]
    public byte[][] WriteValues { get; init; } = [];

    /// <summary>The writes' ids, so that a retried write is applied once (null from a client that sends none).</summary>
    [Id(4)]
    public WriteIds? WriteIds { get; init; }
}
