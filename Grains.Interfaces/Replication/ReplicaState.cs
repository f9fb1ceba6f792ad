namespace DiMint;

/// <summary>What a replica holds of a range, as the overlord sees it when choosing whom to promote.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicaState")]
public sealed record ReplicaState
{
    /// <summary>The range id.</summary>
    [Id(0)]
    public required int RangeId { get; init; }

    /// <summary>Whether the replica holds a complete copy (a snapshot finished), so it can be promoted.</summary>
    [Id(1)]
    public required bool Complete { get; init; }

    /// <summary>The last sequence number applied.</summary>
    [Id(2)]
    public required long AppliedSeq { get; init; }

    /// <summary>The epoch of the master whose writes the copy holds (a master's copy: its own).</summary>
    [Id(3)]
    public required long Epoch { get; init; }

    /// <summary>The newest epoch the copy was fenced for: masters older than it are refused.</summary>
    [Id(4)]
    public long FencedEpoch { get; init; }
}
