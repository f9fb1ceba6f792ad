namespace DiMint;

/// <summary>How far a master has copied its range to a move's target (overlord and range grain only).</summary>
[GenerateSerializer, Immutable, Alias("DiMint.CopyProgress")]
public sealed record CopyProgress
{
    /// <summary>Bytes the snapshot has to send (the range's size when it started).</summary>
    [Id(0)]
    public long BytesTotal { get; init; }

    /// <summary>Snapshot bytes sent so far.</summary>
    [Id(1)]
    public long BytesSent { get; init; }

    /// <summary>Snapshot entries sent so far.</summary>
    [Id(2)]
    public long KeysSent { get; init; }

    /// <summary>Whether the target holds a complete copy and follows the master's writes.</summary>
    [Id(3)]
    public bool InSync { get; init; }

    /// <summary>Writes the target is behind the master.</summary>
    [Id(4)]
    public long Lag { get; init; }

    /// <summary>Whether the copy failed (the target or the master is going away): roll back.</summary>
    [Id(5)]
    public bool Failed { get; init; }
}
