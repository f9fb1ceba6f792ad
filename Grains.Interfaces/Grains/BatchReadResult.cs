namespace DiMint;

/// <summary>A range grain's answer to a batched read: either every key was looked up, or the batch was Moved.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.BatchReadResult")]
public sealed record BatchReadResult
{
    /// <summary>Ok, or Moved with <see cref="Ring"/> (then nothing was read).</summary>
    [Id(0)]
    public required RangeStatus Status { get; init; }

    /// <summary>The encoded values in request order; null where the key is not stored.</summary>
    [Id(1)]
    public byte[]?[]? Values { get; init; }

    /// <summary>The ring to route with when <see cref="Status"/> is Moved.</summary>
    [Id(2)]
    public RingUpdate? Ring { get; init; }
}
