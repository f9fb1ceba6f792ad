namespace DiMint.Faults.History;

/// <summary>What a recorded single-key operation did to its register.</summary>
public enum OperationKind
{
    /// <summary>Set the key to <see cref="Operation.Value"/>.</summary>
    Write,

    /// <summary>Read the key; <see cref="Operation.Value"/> is what came back (<see langword="null"/>: not found).</summary>
    Read,

    /// <summary>
    /// Add one to the integer the key holds ("not found" counts as 0); <see cref="Operation.Value"/> is the result
    /// when the operation is Ok. A key takes either increments or writes, so its states are integers.
    /// </summary>
    Increment,
}
