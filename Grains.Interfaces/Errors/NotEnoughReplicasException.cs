namespace DiMint;

/// <summary>
/// Fewer replicas than <c>WriteAcks</c> confirmed a write in time, so it was not acknowledged. It may still reach the
/// replicas later: the outcome is unknown, as with a timeout.
/// </summary>
[GenerateSerializer]
public sealed class NotEnoughReplicasException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public NotEnoughReplicasException(int rangeId, int required, int available)
        : base(DiMintErrorCode.NotEnoughReplicas, $"Range {rangeId}: {available} replica(s) confirmed the write, {required} required.")
    {
        RangeId = rangeId;
        Required = required;
        Available = available;
    }

    /// <summary>The range written.</summary>
    [Id(0)]
    public int RangeId { get; private set; }

    /// <summary>Confirmations required (<c>WriteAcks</c>).</summary>
    [Id(1)]
    public int Required { get; private set; }

    /// <summary>Confirmations received.</summary>
    [Id(2)]
    public int Available { get; private set; }
}
