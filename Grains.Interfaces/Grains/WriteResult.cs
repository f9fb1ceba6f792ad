namespace DiMint;

/// <summary>A range grain's answer to a write (set, delete, batch set).</summary>
[GenerateSerializer, Immutable, Alias("DiMint.WriteResult")]
public sealed record WriteResult
{
    /// <summary>Ok (for deletes: the key existed), NotFound (a delete found nothing), or Moved with <see cref="Ring"/>.</summary>
    [Id(0)]
    public required RangeStatus Status { get; init; }

    /// <summary>The ring to route with when <see cref="Status"/> is Moved.</summary>
    [Id(1)]
    public RingUpdate? Ring { get; init; }

    /// <summary>A shared answer for a plain success.</summary>
    public static WriteResult Ok { get; } = new() { Status = RangeStatus.Ok };

    /// <summary>A shared answer for a delete that found nothing.</summary>
    public static WriteResult NotFound { get; } = new() { Status = RangeStatus.NotFound };
}
