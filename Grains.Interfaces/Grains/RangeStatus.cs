namespace DiMint;

/// <summary>How a range grain answered a request.</summary>
public enum RangeStatus
{
    /// <summary>Done; for reads the key was found.</summary>
    Ok = 0,

    /// <summary>A read found no entry for the key.</summary>
    NotFound = 1,

    /// <summary>This grain does not own the key (any more): the answer carries the newer ring to route with.</summary>
    Moved = 2,
}
