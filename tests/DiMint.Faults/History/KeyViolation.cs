namespace DiMint.Faults.History;

/// <summary>A key whose operations have no linearization, with a small history that shows why.</summary>
public sealed record KeyViolation
{
    /// <summary>The key that failed.</summary>
    public required string Key { get; init; }

    /// <summary>
    /// A sub-history of the key that is itself not linearizable, sorted by invocation. Every read in it returns
    /// "not found" or a value written by a write in it, so it proves the whole history is not linearizable.
    /// </summary>
    public required IReadOnlyList<Operation> MinimalHistory { get; init; }

    /// <summary>Which operation could not be linearized and what the register could have held then.</summary>
    public required string Explanation { get; init; }

    /// <summary>
    /// True when no single operation can be removed from <see cref="MinimalHistory"/> (with the reads of its value)
    /// and keep it failing; false when shrinking was skipped or ran out of time.
    /// </summary>
    public required bool IsMinimal { get; init; }

    /// <summary>How many operations of the key were checked (after dropping failed and irrelevant unknown ones).</summary>
    public required int KeyOperationCount { get; init; }
}
