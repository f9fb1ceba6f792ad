namespace DiMint;

/// <summary>
/// What one range answered to its part of a <see cref="ISiloBatchService"/> batch: the read result or the error the
/// read raised, and the same for the write. A part with nothing to read (or write) leaves both of that side null.
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeBatchResult")]
public sealed record RangeBatchResult
{
    /// <summary>The answer to the reads: Ok with the values, or Moved.</summary>
    [Id(0)]
    public BatchReadResult? Reads { get; init; }

    /// <summary>The error the reads raised, as the range grain threw it.</summary>
    [Id(1)]
    public Exception? ReadError { get; init; }

    /// <summary>The answer to the writes: Ok (all stored), or Moved (none stored).</summary>
    [Id(2)]
    public WriteResult? Writes { get; init; }

    /// <summary>The error the writes raised (none stored, or for a replica timeout: outcome unknown).</summary>
    [Id(3)]
    public Exception? WriteError { get; init; }

    /// <summary>The answers to the updates, one per update in order (null where the update failed).</summary>
    [Id(4)]
    public UpdateResult?[]? Updates { get; init; }

    /// <summary>The errors of the updates, one per update in order (null where it was answered).</summary>
    [Id(5)]
    public Exception?[]? UpdateErrors { get; init; }
}
