namespace DiMint.Faults.History;

/// <summary>Puts into words why a (small) history of one key has no linearization.</summary>
internal static class ViolationExplainer
{
    public static string Explain(IReadOnlyList<Operation> history, TimeSpan timeout)
    {
        var keyHistory = new KeyHistory(history);
        var result = RegisterSearch.Run(keyHistory, Deadline.After(timeout), explain: true);
        if (result.Verdict != SearchVerdict.NotLinearizable)
        {
            return "No order of these operations that respects their real-time order explains every read" +
                " (the search for a detailed explanation timed out).";
        }

        var blocked = keyHistory.Operations[result.BlockedOperation];
        var states = result.RejectedStates
            .Select(keyHistory.ValueName)
            .Order(StringComparer.Ordinal)
            .Select(Operation.Quote)
            .ToList();
        var held = states.Count switch
        {
            0 => "",
            1 => $" While it was pending, every order of the others consistent with real time leaves the key holding {states[0]}.",
            _ => $" While it was pending, every order of the others consistent with real time leaves the key holding one of {string.Join(", ", states)}.",
        };

        if (blocked.Kind == OperationKind.Increment)
        {
            return $"{blocked} cannot be linearized: no order of the counter's other operations consistent with real time leaves it one below that result (an increment lost, applied twice, or answered with another's result).{held}";
        }

        if (blocked.Kind == OperationKind.Write)
        {
            return $"{blocked} cannot be placed in any order consistent with real time and the reads around it.{held}";
        }

        return $"{blocked} cannot be linearized: {Reason(blocked, history)}.{held}";
    }

    private static string Reason(Operation read, IReadOnlyList<Operation> history)
    {
        var source = read.Value is null
            ? null
            : history.FirstOrDefault(o => o.Kind == OperationKind.Write && o.Value == read.Value);
        if (source is not null && source.InvokedAt > read.CompletedAt)
        {
            return $"it returned {Operation.Quote(read.Value)}, but the write of that value was invoked only after the read completed ({source})";
        }

        // A write that completed before the read was invoked, after the read's value was in place: the value was stale.
        var overwrite = history.FirstOrDefault(o =>
            o.Kind == OperationKind.Write
            && o.Outcome == OperationOutcome.Ok
            && !ReferenceEquals(o, source)
            && o.CompletedAt < read.InvokedAt
            && (source is null || (source.Outcome == OperationOutcome.Ok && source.CompletedAt < o.InvokedAt)));
        if (overwrite is not null && source is null)
        {
            return $"it returned not found, but {overwrite} had completed before the read was invoked";
        }

        if (overwrite is not null)
        {
            return $"it returned {Operation.Quote(read.Value)}, but that value had been overwritten by {overwrite}," +
                " invoked after the write of it completed and completed before the read was invoked";
        }

        return $"no order of these operations consistent with real time has the key holding {Operation.Quote(read.Value)} while the read is pending";
    }
}
