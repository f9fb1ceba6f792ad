namespace DiMint;

/// <summary>A master's answer to a fence: writes are held, and the target caught up (or not, and the fence was lifted).</summary>
[GenerateSerializer, Immutable, Alias("DiMint.FenceResult")]
public sealed record FenceResult
{
    /// <summary>Whether the range is fenced with the target caught up; false means the fence was lifted.</summary>
    [Id(0)]
    public required bool Ok { get; init; }

    /// <summary>The last write applied, which the target and the caught-up replicas hold.</summary>
    [Id(1)]
    public long AppliedSeq { get; init; }

    /// <summary>Entries in the range (or, for a split or merge, in the new ranges).</summary>
    [Id(2)]
    public long Keys { get; init; }

    /// <summary>Why the fence was lifted.</summary>
    [Id(3)]
    public string? Reason { get; init; }

    /// <summary>The replicas that hold every write up to <see cref="AppliedSeq"/> (they can split or merge their copies in place).</summary>
    [Id(4)]
    public System.Collections.Immutable.ImmutableArray<SiloAddress> CaughtUp { get; init; } = [];

    /// <summary>The epoch of the writes the range's copies hold (their source epoch).</summary>
    [Id(5)]
    public long SourceEpoch { get; init; }
}
