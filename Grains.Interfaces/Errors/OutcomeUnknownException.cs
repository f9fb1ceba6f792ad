namespace DiMint;

/// <summary>
/// A retried write that the master had applied already, whose answer (an increment's result, or the value it replaced)
/// is no longer known there: the write took effect once, but what it returned is lost.
/// </summary>
[GenerateSerializer]
public sealed class OutcomeUnknownException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public OutcomeUnknownException(string key)
        : base(DiMintErrorCode.OutcomeUnknown, $"The write to '{key}' was applied (once), but its result is no longer known: its first answer was lost and the key was written since.")
    {
        Key = key;
    }

    /// <summary>The key.</summary>
    [Id(0)]
    public string Key { get; private set; }
}
