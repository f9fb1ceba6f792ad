namespace DiMint.Client.Batching;

/// <summary>How one attempt of a <see cref="BatchOp"/> ended; the caller's retry loop acts on it as on a call of its own.</summary>
internal enum BatchOutcome
{
    /// <summary>Served: <see cref="BatchOp.Value"/> holds what was read.</summary>
    Done,

    /// <summary>The range answered Moved with <see cref="BatchOp.MovedTo"/>.</summary>
    Moved,

    /// <summary>The ring changed before the batch left and the key's range has another master now: route again at once.</summary>
    Rerouted,

    /// <summary>The call failed with <see cref="BatchOp.Error"/>.</summary>
    Failed,

    /// <summary>
    /// The batch failed with an error that may belong to one operation only (a limit the silo enforces, say): every
    /// operation is sent again on its own, so each caller gets its own answer.
    /// </summary>
    Alone,

    /// <summary>The caller's cancellation token fired while the operation waited.</summary>
    Cancelled,
}
