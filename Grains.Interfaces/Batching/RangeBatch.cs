namespace DiMint;

/// <summary>One range's part of a <see cref="ISiloBatchService"/> batch: keys to read, entries to write, and updates (<see cref="IRangeGrain.UpdateAsync"/>).</summary>
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

    /// <summary>Keys to update, each with its <see cref="Updates"/> entry; each runs as its own <see cref="IRangeGrain.UpdateAsync"/>.</summary>
    [Id(5)]
    public string[] UpdateKeys { get; init; } = [];

    /// <summary>The updates of <see cref="UpdateKeys"/>, in the same order.</summary>
    [Id(6)]
    public KeyUpdate[] Updates { get; init; } = [];

    /// <summary>The updates' write ids, in the same order (0 for one that writes nothing, an inspection); null from a client that sends none.</summary>
    [Id(7)]
    public WriteIds? UpdateIds { get; init; }
}
