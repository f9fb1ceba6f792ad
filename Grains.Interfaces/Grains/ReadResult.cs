namespace DiMint;

/// <summary>A range grain's answer to a single-key read.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReadResult")]
public sealed record ReadResult
{
    /// <summary>Ok with <see cref="Value"/>, NotFound, or Moved with <see cref="Ring"/>.</summary>
    [Id(0)]
    public required RangeStatus Status { get; init; }

    /// <summary>The encoded value when found (exists-checks leave it null).</summary>
    [Id(1)]
    public byte[]? Value { get; init; }

    /// <summary>The ring to route with when <see cref="Status"/> is Moved.</summary>
    [Id(2)]
    public RingUpdate? Ring { get; init; }
}
