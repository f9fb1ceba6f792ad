namespace DiMint;

/// <summary>What a ring operation does.</summary>
public enum RingOperationKind
{
    /// <summary>Splits a range in two at a hash.</summary>
    Split = 1,

    /// <summary>Merges two adjacent ranges into one.</summary>
    Merge = 2,

    /// <summary>Moves a range's master to another silo.</summary>
    MoveMaster = 3,

    /// <summary>Moves one of a range's replicas to another silo.</summary>
    MoveReplica = 4,

    /// <summary>Moves every master and replica off a silo.</summary>
    Drain = 5,
}
