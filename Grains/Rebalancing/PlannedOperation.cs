namespace DiMint.Grains.Rebalancing;

/// <summary>One step the balancing policy wants: what, on which range(s), from where to where, and why.</summary>
public sealed record PlannedOperation(RingOperationKind Kind, int RangeId, string Reason)
{
    /// <summary>The second range of a merge.</summary>
    public int? OtherRangeId { get; init; }

    /// <summary>The silo a move takes the master or replica from.</summary>
    public SiloAddress? Source { get; init; }

    /// <summary>The silo a move puts it on.</summary>
    public SiloAddress? Target { get; init; }
}
