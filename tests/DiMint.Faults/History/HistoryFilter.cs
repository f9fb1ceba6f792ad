namespace DiMint.Faults.History;

/// <summary>Which operations of a key take part in the check.</summary>
internal static class HistoryFilter
{
    /// <summary>
    /// The operations of one key the search must consider, and the Ok reads that returned a value no write of the key
    /// (Ok or unknown) wrote: those are violations by themselves.
    /// </summary>
    /// <remarks>
    /// Dropped: failed operations (they never took effect); unknown reads (a read changes nothing and its result is
    /// unknown); and unknown writes whose value no Ok read returned. Why the last is safe: if the history has a
    /// linearization that includes such a write, the write is followed there by another write or by the end, with no
    /// read in between (any read there would have returned its value); deleting it leaves every read's value and the
    /// real-time order intact, so the rest is linearizable without it. Conversely, a linearization without it is one
    /// where it "never took effect", which an unknown outcome allows. Either way the verdict is the same.
    /// </remarks>
    /// <para>
    /// A counter (a key of increments) keeps every Ok operation and every increment of unknown outcome: an increment
    /// nobody saw still moves every later value, and a value an unknown increment produced is no unwritten read.
    /// </para>
    public static List<Operation> Relevant(IEnumerable<Operation> keyOperations, out List<Operation> unwrittenReads)
    {
        var live = keyOperations
            .Where(o => o.Outcome == OperationOutcome.Ok || (o.Outcome == OperationOutcome.Unknown && o.Kind != OperationKind.Read))
            .ToList();
        if (live.Any(IsIncrement))
        {
            unwrittenReads = [];
            return live;
        }

        var written = new HashSet<string>(live.Where(IsWrite).Select(o => o.Value!), StringComparer.Ordinal);
        unwrittenReads = live.Where(o => !IsWrite(o) && o.Value is not null && !written.Contains(o.Value)).ToList();
        var observed = new HashSet<string>(live.Where(o => !IsWrite(o) && o.Value is not null).Select(o => o.Value!), StringComparer.Ordinal);
        return live.Where(o => o.Outcome == OperationOutcome.Ok || observed.Contains(o.Value!)).ToList();
    }

    /// <summary>
    /// A sub-history made self-contained for shrinking: reads of a value no kept write wrote are dropped (else they
    /// would fail trivially, proving nothing about the original), then unknown writes no kept read observed.
    /// </summary>
    public static List<Operation> Closed(IEnumerable<Operation> operations)
    {
        var list = operations as IReadOnlyCollection<Operation> ?? operations.ToList();
        if (list.Any(IsIncrement))
        {
            return [.. list];
        }

        var written = new HashSet<string>(list.Where(IsWrite).Select(o => o.Value!), StringComparer.Ordinal);
        var reads = list.Where(o => !IsWrite(o) && (o.Value is null || written.Contains(o.Value))).ToList();
        var observed = new HashSet<string>(reads.Where(o => o.Value is not null).Select(o => o.Value!), StringComparer.Ordinal);
        return list.Where(o => IsWrite(o)
                ? o.Outcome == OperationOutcome.Ok || observed.Contains(o.Value!)
                : o.Value is null || written.Contains(o.Value))
            .ToList();
    }

    private static bool IsWrite(Operation operation) => operation.Kind == OperationKind.Write;

    private static bool IsIncrement(Operation operation) => operation.Kind == OperationKind.Increment;
}
