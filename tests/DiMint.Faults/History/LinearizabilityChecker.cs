namespace DiMint.Faults.History;

/// <summary>
/// Checks that a history of single-key register operations is linearizable, key by key, and shrinks each violation
/// to a small history that shows it.
/// </summary>
/// <remarks>
/// Each key is a register that starts as "not found"; a write sets it, a read must return what it holds at some
/// point between the read's invocation and completion. Keys are independent (linearizability is compositional), so
/// each is searched on its own, in parallel. See <see cref="RegisterSearch"/> for the search and how equal
/// timestamps are ordered, and <see cref="HistoryFilter"/> for which operations take part.
/// </remarks>
public static class LinearizabilityChecker
{
    private enum Verdict
    {
        Linearizable,
        NotLinearizable,
        UnwrittenRead,
        TimedOut,
    }

    private sealed record KeyCheck(string Key, Verdict Verdict, List<Operation> Relevant, List<Operation> UnwrittenReads);

    /// <summary>Checks <paramref name="history"/>; operations may come in any order.</summary>
    /// <exception cref="ArgumentException">An operation is malformed (no key, a write without a value, an Ok operation completed before it was invoked).</exception>
    public static CheckResult Check(IReadOnlyList<Operation> history, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= new CheckOptions();
        options.Validate();

        var byKey = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        foreach (var operation in history)
        {
            Validate(operation);
            if (!byKey.TryGetValue(operation.Key, out var operations))
            {
                operations = [];
                byKey.Add(operation.Key, operations);
            }

            operations.Add(operation);
        }

        var keys = byKey.Keys.Order(StringComparer.Ordinal).ToArray();
        var checks = new KeyCheck[keys.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        var totalDeadline = Deadline.After(options.TotalTimeout);
        Parallel.For(0, keys.Length, parallel, i => checks[i] = CheckKey(keys[i], byKey[keys[i]], options.TimeoutPerKey, totalDeadline));

        // Shrinking comes second, over the first failing keys in key order, so which keys get shrunk is repeatable.
        var failed = checks.Where(c => c.Verdict is Verdict.NotLinearizable or Verdict.UnwrittenRead).ToArray();
        var writesByValue = failed.Any(c => c.Verdict == Verdict.UnwrittenRead)
            ? history.Where(o => o.Kind == OperationKind.Write).ToLookup(o => o.Value!, StringComparer.Ordinal)
            : null;
        var violations = new KeyViolation[failed.Length];
        Parallel.For(0, failed.Length, parallel, i => violations[i] = Describe(failed[i], i < options.MaxKeysToShrink, options, writesByValue));

        return new CheckResult(
            keysChecked: checks.Count(c => c.Relevant.Count > 0),
            operationsChecked: checks.Sum(c => c.Relevant.Count),
            violations,
            checks.Where(c => c.Verdict == Verdict.TimedOut).Select(c => c.Key).ToArray(),
            options.TimestampsPerSecond);
    }

    private static KeyCheck CheckKey(string key, List<Operation> operations, TimeSpan timeout, long totalDeadline)
    {
        var relevant = HistoryFilter.Relevant(operations, out var unwrittenReads);
        if (unwrittenReads.Count > 0)
        {
            return new KeyCheck(key, Verdict.UnwrittenRead, relevant, unwrittenReads);
        }

        var deadline = Math.Min(Deadline.After(timeout), totalDeadline);
        if (Deadline.HasPassed(deadline))
        {
            return new KeyCheck(key, Verdict.TimedOut, relevant, unwrittenReads);
        }

        var verdict = RegisterSearch.Run(new KeyHistory(relevant), deadline, explain: false).Verdict switch
        {
            SearchVerdict.Linearizable => Verdict.Linearizable,
            SearchVerdict.NotLinearizable => Verdict.NotLinearizable,
            _ => Verdict.TimedOut,
        };
        return new KeyCheck(key, verdict, relevant, unwrittenReads);
    }

    private static KeyViolation Describe(KeyCheck check, bool shrink, CheckOptions options, ILookup<string, Operation>? writesByValue)
    {
        if (check.Verdict == Verdict.UnwrittenRead)
        {
            var read = check.UnwrittenReads.MinBy(o => o.InvokedAt)!;
            return new KeyViolation
            {
                Key = check.Key,
                MinimalHistory = [read],
                Explanation = ExplainUnwrittenRead(read, check.UnwrittenReads.Count, writesByValue!),
                IsMinimal = true,
                KeyOperationCount = check.Relevant.Count,
            };
        }

        if (!shrink)
        {
            return new KeyViolation
            {
                Key = check.Key,
                MinimalHistory = check.Relevant.OrderBy(o => o.InvokedAt).ToArray(),
                Explanation = $"Not linearizable; not shrunk, because more than {options.MaxKeysToShrink} keys failed.",
                IsMinimal = false,
                KeyOperationCount = check.Relevant.Count,
            };
        }

        var (minimal, isMinimal) = HistoryShrinker.Shrink(check.Relevant, options.ShrinkTimeoutPerKey, options.TimeoutPerKey);
        return new KeyViolation
        {
            Key = check.Key,
            MinimalHistory = minimal,
            Explanation = ViolationExplainer.Explain(minimal, options.TimeoutPerKey),
            IsMinimal = isMinimal,
            KeyOperationCount = check.Relevant.Count,
        };
    }

    private static string ExplainUnwrittenRead(Operation read, int count, ILookup<string, Operation> writesByValue)
    {
        var others = count > 1 ? $" ({count - 1} more reads of this key returned values never written to it)" : "";
        var writes = writesByValue[read.Value!];
        var failedHere = writes.FirstOrDefault(o => o.Key == read.Key && o.Outcome == OperationOutcome.Failed);
        var elsewhere = writes.FirstOrDefault(o => o.Key != read.Key);
        var hint = failedHere is not null ? $"; the only write of it failed (was never sent): {failedHere}"
            : elsewhere is not null ? $"; it was written to another key: {elsewhere}"
            : "";
        return $"{read} returned {Operation.Quote(read.Value)}, a value no write of key \"{read.Key}\" wrote{hint}.{others}";
    }

    private static void Validate(Operation operation)
    {
        if (operation is null)
        {
            throw new ArgumentException("The history contains a null operation.", "history");
        }

        if (operation.Key is null)
        {
            throw new ArgumentException($"Operation without a key: {operation}", "history");
        }

        if (!Enum.IsDefined(operation.Kind) || !Enum.IsDefined(operation.Outcome))
        {
            throw new ArgumentException($"Operation with an undefined kind or outcome: {operation}", "history");
        }

        if (operation.Kind == OperationKind.Write && operation.Value is null)
        {
            throw new ArgumentException($"Write without a value: {operation}", "history");
        }

        if (operation.Kind == OperationKind.Increment && operation.Outcome == OperationOutcome.Ok && operation.Value is null)
        {
            throw new ArgumentException($"Increment without its result: {operation}", "history");
        }

        if (operation.Outcome == OperationOutcome.Ok && operation.CompletedAt < operation.InvokedAt)
        {
            throw new ArgumentException($"Operation completed before it was invoked: {operation}", "history");
        }
    }
}
