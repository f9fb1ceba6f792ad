namespace DiMint;

/// <summary>
/// A range cannot serve now: its master could not confirm that it still holds the range (too few replicas answer, as on
/// the minority side of a partition), or no copy of it is reachable. Nothing was changed by the refused request; retry
/// later, or ask an operator to recover the range (<c>dimint recover</c>).
/// </summary>
[GenerateSerializer]
public sealed class RangeUnavailableException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public RangeUnavailableException(int rangeId, string reason)
        : base(DiMintErrorCode.RangeUnavailable, $"Range {rangeId} is unavailable: {reason}")
    {
        RangeId = rangeId;
        Reason = reason;
    }

    /// <summary>The range.</summary>
    [Id(0)]
    public int RangeId { get; private set; }

    /// <summary>Why it cannot serve.</summary>
    [Id(1)]
    public string Reason { get; private set; }
}
