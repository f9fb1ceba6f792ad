using System.Globalization;

namespace DiMint.Faults.History;

/// <summary>
/// One single-key operation on a register, as a client of the store recorded it. Timestamps of all operations of a
/// history come from one monotonic clock (e.g. <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).
/// </summary>
/// <param name="Process">The client worker that issued it; a process issues one operation at a time.</param>
/// <param name="Key">The key (register) it touched.</param>
/// <param name="Kind">Write or read.</param>
/// <param name="Value">
/// For a write, the value written (unique across the whole history). For an <see cref="OperationOutcome.Ok"/> read,
/// the value returned, <see langword="null"/> meaning "not found". Ignored for reads that are not Ok.
/// </param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the answer; ignored for <see cref="OperationOutcome.Unknown"/>.</param>
/// <param name="Outcome">How it ended.</param>
public sealed record Operation(
    int Process,
    string Key,
    OperationKind Kind,
    string? Value,
    long InvokedAt,
    long CompletedAt,
    OperationOutcome Outcome)
{
    /// <summary>A compact rendering with raw timestamps, e.g. <c>p3 write k1 := "v17" [1204 .. 1209] ok</c>.</summary>
    public override string ToString()
    {
        var completed = Outcome == OperationOutcome.Unknown
            ? "?"
            : CompletedAt.ToString(CultureInfo.InvariantCulture);
        return $"{Describe()} [{InvokedAt.ToString(CultureInfo.InvariantCulture)} .. {completed}] {OutcomeText()}";
    }

    /// <summary>
    /// Renders like <see cref="ToString()"/> with times in seconds relative to <paramref name="origin"/>, e.g.
    /// <c>p3 write k1 := "v17" [+1.204000 s .. +1.209000 s] ok</c>.
    /// </summary>
    /// <param name="origin">The timestamp shown as zero.</param>
    /// <param name="timestampsPerSecond">Timestamp units per second (<see cref="System.Diagnostics.Stopwatch.Frequency"/> for Stopwatch ticks).</param>
    public string ToString(long origin, long timestampsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampsPerSecond);
        var completed = Outcome == OperationOutcome.Unknown ? "?" : Seconds(CompletedAt);
        return $"{Describe()} [{Seconds(InvokedAt)} .. {completed}] {OutcomeText()}";

        string Seconds(long timestamp) =>
            ((double)(timestamp - origin) / timestampsPerSecond).ToString("+0.000000 s;-0.000000 s", CultureInfo.InvariantCulture);
    }

    private string Describe()
    {
        if (Kind == OperationKind.Write)
        {
            return $"p{Process} write {Key} := {Quote(Value)}";
        }

        if (Kind == OperationKind.Increment)
        {
            return $"p{Process} increment {Key} -> {(Outcome == OperationOutcome.Ok ? Quote(Value) : "?")}";
        }

        var result = Outcome == OperationOutcome.Ok ? Quote(Value) : "?";
        return $"p{Process} read {Key} -> {result}";
    }

    private string OutcomeText() => Outcome switch
    {
        OperationOutcome.Ok => "ok",
        OperationOutcome.Failed => "failed",
        _ => "unknown",
    };

    internal static string Quote(string? value) => value is null ? "not found" : $"\"{value}\"";
}
