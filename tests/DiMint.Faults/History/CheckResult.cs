using System.Text;

namespace DiMint.Faults.History;

/// <summary>The verdict of <see cref="LinearizabilityChecker.Check"/> over a whole history.</summary>
public sealed class CheckResult
{
    private const int MaxTimedOutKeysShown = 20;

    private readonly long _timestampsPerSecond;

    internal CheckResult(
        int keysChecked,
        int operationsChecked,
        IReadOnlyList<KeyViolation> violations,
        IReadOnlyList<string> keysTimedOut,
        long timestampsPerSecond)
    {
        KeysChecked = keysChecked;
        OperationsChecked = operationsChecked;
        Violations = violations;
        KeysTimedOut = keysTimedOut;
        _timestampsPerSecond = timestampsPerSecond;
    }

    /// <summary>
    /// True only when every key was verified linearizable: a violation or a key whose search timed out makes it false.
    /// </summary>
    public bool IsLinearizable => Violations.Count == 0 && KeysTimedOut.Count == 0;

    /// <summary>Keys with at least one operation left to check after dropping failed and irrelevant unknown ones.</summary>
    public int KeysChecked { get; }

    /// <summary>Operations checked, over all keys (failed operations, unknown reads and unobserved unknown writes excluded).</summary>
    public int OperationsChecked { get; }

    /// <summary>The keys that are not linearizable, in ordinal key order.</summary>
    public IReadOnlyList<KeyViolation> Violations { get; }

    /// <summary>Keys whose search hit <see cref="CheckOptions.TimeoutPerKey"/>: not verified, so not a pass.</summary>
    public IReadOnlyList<string> KeysTimedOut { get; }

    /// <summary>A readable report: the verdict, then up to <paramref name="maxViolations"/> violations in detail.</summary>
    public string Describe(int maxViolations = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxViolations);
        var text = new StringBuilder();
        if (IsLinearizable)
        {
            text.Append($"Linearizable: {KeysChecked} keys, {OperationsChecked} operations checked.");
            return text.ToString();
        }

        text.Append($"NOT linearizable: {Violations.Count} of {KeysChecked} keys violated, {KeysTimedOut.Count} timed out")
            .AppendLine($" ({OperationsChecked} operations checked).");
        foreach (var violation in Violations.Take(maxViolations))
        {
            AppendViolation(text, violation);
        }

        if (Violations.Count > maxViolations)
        {
            var rest = Violations.Skip(maxViolations).Select(v => Quoted(v.Key));
            text.AppendLine($"{Violations.Count - maxViolations} more violations: {string.Join(", ", rest.Take(MaxTimedOutKeysShown))}");
        }

        if (KeysTimedOut.Count > 0)
        {
            var shown = string.Join(", ", KeysTimedOut.Take(MaxTimedOutKeysShown).Select(Quoted));
            var more = KeysTimedOut.Count > MaxTimedOutKeysShown ? $" and {KeysTimedOut.Count - MaxTimedOutKeysShown} more" : "";
            text.AppendLine($"Timed out (not verified, counted as a failure): {shown}{more}");
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The report of <see cref="Describe"/> with its default length, so a failed assertion shows it.</summary>
    public override string ToString() => Describe();

    private void AppendViolation(StringBuilder text, KeyViolation violation)
    {
        text.AppendLine($"Key {Quoted(violation.Key)}: {violation.Explanation}");
        var shrunk = violation.IsMinimal ? "minimal history" : "failing history (not shrunk to a minimum)";
        var origin = violation.MinimalHistory.Count == 0 ? 0 : violation.MinimalHistory.Min(o => o.InvokedAt);
        text.AppendLine($"  {shrunk}, {violation.MinimalHistory.Count} of {violation.KeyOperationCount} operations" +
            $" of the key, times relative to its first invocation (timestamp {origin}):");
        foreach (var operation in violation.MinimalHistory)
        {
            text.Append("    ").AppendLine(operation.ToString(origin, _timestampsPerSecond));
        }
    }

    private static string Quoted(string key) => $"\"{key}\"";
}
