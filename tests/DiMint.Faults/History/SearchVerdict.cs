namespace DiMint.Faults.History;

/// <summary>How the search over one key's history ended.</summary>
internal enum SearchVerdict
{
    Linearizable,
    NotLinearizable,
    TimedOut,
}
