namespace DiMint;

/// <summary>What went wrong, as a value callers can switch on instead of parsing messages.</summary>
public enum DiMintErrorCode
{
    /// <summary>The key is not stored.</summary>
    KeyNotFound = 1,

    /// <summary>The key is null, empty, or of a type that cannot be a key.</summary>
    InvalidKey = 2,

    /// <summary>A key or value is over its configured size limit.</summary>
    LimitExceeded = 3,

    /// <summary>A value holds a type the store cannot keep (a stream, a delegate, a cycle ...).</summary>
    UnsupportedValueType = 4,

    /// <summary>A stored value cannot be converted to the type the caller asked for.</summary>
    ValueTypeMismatch = 5,

    /// <summary>A request carried a ring version newer than the cluster knows.</summary>
    RingVersionFromFuture = 6,

    /// <summary>The request could not be routed to the range that owns the key.</summary>
    RoutingFailed = 7,

    /// <summary>The ring operation names a range that does not exist.</summary>
    UnknownRange = 8,

    /// <summary>The ring operation is not valid for the range (a split point outside it, ...).</summary>
    InvalidRingOperation = 9,

    /// <summary>No silo of the cluster is available to serve the request.</summary>
    ClusterUnavailable = 10,

    /// <summary>Fewer replicas than required confirmed a write; it was not acknowledged.</summary>
    NotEnoughReplicas = 11,

    /// <summary>The ring operation names a silo that is not an active member of the cluster.</summary>
    UnknownSilo = 12,

    /// <summary>Another ring operation is under way on the range (or the cluster has as many as it allows).</summary>
    OperationInProgress = 13,

    /// <summary>A ring operation was given up before its ring switch (a silo left, the range changed); the ring is as before.</summary>
    OperationRolledBack = 14,

    /// <summary>The overlord does not know the ring operation (finished long ago, or it restarted since).</summary>
    UnknownOperation = 15,

    /// <summary>A range cannot serve now (its master lost its quorum, or no copy of it is reachable); nothing was changed.</summary>
    RangeUnavailable = 16,

    /// <summary>The peer does not hold the cluster's secret (or, seen from a client, the silo does not): it was refused before any request was read.</summary>
    Unauthorized = 17,

    /// <summary>An expiry that is not positive, or too long.</summary>
    InvalidExpiry = 18,

    /// <summary>An increment would overflow a 64-bit integer.</summary>
    IntegerOverflow = 19,

    /// <summary>A retried write took effect, but its result is no longer known.</summary>
    OutcomeUnknown = 20,
}
