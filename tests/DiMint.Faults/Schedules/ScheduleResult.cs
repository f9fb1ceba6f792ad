using System.Globalization;
using System.Text;

namespace DiMint.Faults.Schedules;

/// <summary>What one schedule did to the store, from its clients' histories.</summary>
public sealed record ScheduleResult
{
    public required string Name { get; init; }

    /// <summary>Operations the clients recorded (every outcome).</summary>
    public required long Operations { get; init; }

    /// <summary>Writes of unique keys the store acknowledged.</summary>
    public required long AcknowledgedWrites { get; init; }

    /// <summary>Acknowledged unique-key writes whose key did not read back with its value at the end (must be 0).</summary>
    public required int Lost { get; init; }

    /// <summary>Keys whose history is not linearizable (must be 0).</summary>
    public required int Violations { get; init; }

    /// <summary>Keys the checker could not decide in time (must be 0: undecided is not a pass).</summary>
    public required int Undecided { get; init; }

    /// <summary>The longest time a range that kept a quorum of copies on the serving side completed no operation; null when not measured.</summary>
    public TimeSpan? LongestUnavailability { get; init; }

    /// <summary>The range that was unavailable for <see cref="LongestUnavailability"/>.</summary>
    public int? LongestUnavailableRange { get; init; }

    /// <summary>How long after the faults ended the cluster was whole again (every range replicated and in sync).</summary>
    public required TimeSpan Recovery { get; init; }

    /// <summary>Why the run itself failed (the cluster did not recover, a client did not finish), or null.</summary>
    public string? Error { get; init; }

    /// <summary>What happened, lost keys and minimal offending histories.</summary>
    public required string Details { get; init; }

    public bool Passed => Error is null && Lost == 0 && Violations == 0 && Undecided == 0;

    /// <summary>A markdown table row: schedule, acknowledged writes, lost, violations, longest unavailability, recovery.</summary>
    public string Row() => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Name} | {Operations:N0} | {AcknowledgedWrites:N0} | {Lost} | {Violations}{(Undecided > 0 ? $" (+{Undecided} undecided)" : "")} | {(LongestUnavailability is { } u ? $"{u.TotalSeconds:0.00} s (range {LongestUnavailableRange})" : "n/a")} | {Recovery.TotalSeconds:0.0} s | {(Passed ? "pass" : "FAIL")} |");

    public const string Header = "| schedule | operations | acknowledged writes | lost | linearizability violations | longest unavailability (quorum kept) | recovery | |\n|---|---|---|---|---|---|---|---|";

    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Row());
        if (Error is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"error: {Error}");
        }

        return text.Append(Details).ToString();
    }
}
