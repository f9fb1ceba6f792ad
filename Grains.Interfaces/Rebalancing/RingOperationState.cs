namespace DiMint;

/// <summary>Where a ring operation stands.</summary>
public enum RingOperationState
{
    /// <summary>Planned only (a dry run), never started.</summary>
    Planned = 1,

    /// <summary>Copying data to the target while clients go on.</summary>
    Running = 2,

    /// <summary>In the short fence: writes to the range wait for the final catch-up and the ring switch.</summary>
    Fencing = 3,

    /// <summary>Finished: the ring has the new layout.</summary>
    Done = 4,

    /// <summary>
    /// Given up before the ring switch: the ring is as before, nothing was lost. A drain or a merge given up keeps the
    /// steps it finished (ranges moved off the silo; the move that put both masters on one silo).
    /// </summary>
    RolledBack = 5,
}
