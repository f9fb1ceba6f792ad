namespace DiMint.Faults.History;

/// <summary>
/// The outcome of <see cref="RegisterSearch.Run"/>. When explaining a failure: the operation whose completion the
/// search could get furthest to without linearizing it, and the register states in which it was tried and refused.
/// </summary>
internal sealed record SearchResult(SearchVerdict Verdict, int BlockedOperation, IReadOnlyCollection<int> RejectedStates)
{
    public static SearchResult Linearizable { get; } = new(SearchVerdict.Linearizable, -1, []);

    public static SearchResult TimedOut { get; } = new(SearchVerdict.TimedOut, -1, []);
}
