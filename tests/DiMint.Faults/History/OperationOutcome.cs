namespace DiMint.Faults.History;

/// <summary>How a recorded operation ended, as far as the client could tell.</summary>
public enum OperationOutcome
{
    /// <summary>The store answered success; for a read, with the value or "not found".</summary>
    Ok,

    /// <summary>
    /// The operation definitely did not take effect. The harness uses this only when the request was never sent.
    /// </summary>
    Failed,

    /// <summary>
    /// Timed out, lost its connection or failed after sending: it may or may not have taken effect, at any time after
    /// its invocation (even after the client gave up on it).
    /// </summary>
    Unknown,
}
