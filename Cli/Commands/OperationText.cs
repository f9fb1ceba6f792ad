using System.Globalization;
using Spectre.Console;

namespace DiMint.Cli.Commands;

/// <summary>How the console describes a ring operation: names, progress figures, the closing summary, JSON and tables.</summary>
internal static class OperationText
{
    /// <summary>The kind as operators say it: split, merge, move master, move replica, drain.</summary>
    public static string Kind(RingOperationInfo op) => op.Kind switch
    {
        RingOperationKind.Split => "split",
        RingOperationKind.Merge => "merge",
        RingOperationKind.MoveMaster => "move master",
        RingOperationKind.MoveReplica => "move replica",
        RingOperationKind.Drain => "drain",
        _ => op.Kind.ToString(),
    };

    public static string State(RingOperationInfo op) => op.State switch
    {
        RingOperationState.RolledBack => "rolled back",
        _ => op.State.ToString().ToLowerInvariant(),
    };

    /// <summary>The range(s) the operation works on and, once known, those it produced.</summary>
    public static string Ranges(RingOperationInfo op)
    {
        var given = op.Kind switch
        {
            RingOperationKind.Drain => "all on the silo",
            RingOperationKind.Merge => $"{op.RangeId} + {op.OtherRangeId}",
            RingOperationKind.Split when op.SplitAt is { } at => $"{op.RangeId} at {ConsoleText.Hex(at)}",
            _ => op.RangeId.ToString(CultureInfo.InvariantCulture),
        };
        return op.ResultRanges.IsDefaultOrEmpty ? given : $"{given} -> {string.Join(", ", op.ResultRanges)}";
    }

    /// <summary>Source and target silos, <c>host:port</c>.</summary>
    public static string Silos(RingOperationInfo op) => (op.Source, op.Target) switch
    {
        (null, null) => "-",
        ({ } source, null) => $"{ConsoleText.Silo(source)} ->",
        (null, { } target) => $"-> {ConsoleText.Silo(target)}",
        var (source, target) => $"{ConsoleText.Silo(source)} -> {ConsoleText.Silo(target)}",
    };

    /// <summary>
    /// Percent done: by a drain's steps (its byte count grows as each step starts), else by bytes copied; 100 once done;
    /// null when there is nothing to measure it by (a split or merge in place).
    /// </summary>
    public static double? Percent(RingOperationInfo op)
    {
        if (op.State == RingOperationState.Done)
        {
            return 100;
        }

        if (op.Steps > 0)
        {
            return Math.Clamp(100.0 * op.StepsDone / op.Steps, 0, 100);
        }

        return op.BytesTotal > 0 ? Math.Clamp(100.0 * op.BytesMoved / op.BytesTotal, 0, 100) : null;
    }

    public static TimeSpan Duration(RingOperationInfo op, DateTimeOffset now)
    {
        var duration = (op.EndedAt ?? now) - op.StartedAt;
        return duration < TimeSpan.Zero ? TimeSpan.Zero : duration;
    }

    /// <summary>"operation 7: move master of range 4" and the like, for progress lines and messages.</summary>
    public static string Title(RingOperationInfo op) => op.Kind switch
    {
        RingOperationKind.Drain => $"operation {op.Id}: drain {ConsoleText.Silo(op.Source)}",
        RingOperationKind.Merge => $"operation {op.Id}: merge ranges {op.RangeId} and {op.OtherRangeId}",
        RingOperationKind.MoveMaster => $"operation {op.Id}: move the master of range {op.RangeId} to {ConsoleText.Silo(op.Target)}",
        RingOperationKind.MoveReplica => $"operation {op.Id}: move a replica of range {op.RangeId}{(op.Source is null ? "" : $" from {ConsoleText.Silo(op.Source)}")} to {ConsoleText.Silo(op.Target)}",
        _ => $"operation {op.Id}: {Kind(op)} range {op.RangeId}",
    };

    /// <summary>"#7 move master 4 -> 127.0.0.1:11112" and the like: a progress bar's label.</summary>
    public static string ShortTitle(RingOperationInfo op) => op.Kind switch
    {
        RingOperationKind.Drain => $"#{op.Id} drain {ConsoleText.Silo(op.Source)}",
        RingOperationKind.MoveMaster or RingOperationKind.MoveReplica => $"#{op.Id} {Kind(op)} {op.RangeId} -> {ConsoleText.Silo(op.Target)}",
        _ => $"#{op.Id} {Kind(op)} {Ranges(op)}",
    };

    /// <summary>The figures that change while it runs: state, percent, bytes, keys, steps, rate.</summary>
    public static string Figures(RingOperationInfo op, DateTimeOffset now, bool withPercent = true)
    {
        var parts = new List<string> { State(op) };
        if (withPercent && Percent(op) is { } percent)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{percent:0}%"));
        }

        if (op.BytesTotal > 0 || op.BytesMoved > 0)
        {
            parts.Add($"{ConsoleText.Size(op.BytesMoved)} of {ConsoleText.Size(Math.Max(op.BytesTotal, op.BytesMoved))}");
            parts.Add(ConsoleText.Rate(op.BytesPerSecond(now)));
        }

        if (op.KeysMoved > 0)
        {
            parts.Add($"{ConsoleText.Number(op.KeysMoved)} keys");
        }

        if (op.Steps > 0)
        {
            parts.Add($"step {op.StepsDone}/{op.Steps}");
        }

        if (op.Fence is { } fence)
        {
            parts.Add($"fence {ConsoleText.Milliseconds(fence)}");
        }

        return string.Join(", ", parts);
    }

    /// <summary>The line printed when an operation finished: what changed, keys, bytes, duration, rate and fence.</summary>
    public static string Summary(RingOperationInfo op, Ring? ring, DateTimeOffset now)
    {
        var what = op.Kind switch
        {
            RingOperationKind.Split => $"Split range {op.RangeId}{(op.SplitAt is { } at ? $" at {ConsoleText.Hex(at)}" : "")} into {DescribeRanges(op.ResultRanges, ring)}",
            RingOperationKind.Merge => $"Merged ranges {op.RangeId} and {op.OtherRangeId} into {DescribeRanges(op.ResultRanges, ring)}",
            RingOperationKind.MoveMaster => $"Moved the master of range {op.RangeId} from {ConsoleText.Silo(op.Source)} to {ConsoleText.Silo(op.Target)}",
            RingOperationKind.MoveReplica => $"Moved a replica of range {op.RangeId} from {ConsoleText.Silo(op.Source)} to {ConsoleText.Silo(op.Target)}",
            RingOperationKind.Drain => $"Drained {ConsoleText.Silo(op.Source)} ({op.StepsDone} {(op.StepsDone == 1 ? "step" : "steps")}); it holds nothing now and can stop",
            _ => Title(op),
        };
        var duration = Duration(op, now);
        var figures = (op.BytesMoved, op.KeysMoved, op.Kind) switch
        {
            ( > 0, _, _) => $"{ConsoleText.Number(op.KeysMoved)} keys, {ConsoleText.Size(op.BytesMoved)} in {ConsoleText.Duration(duration)} ({ConsoleText.Rate(op.BytesPerSecond(now))})",
            (0, 0, RingOperationKind.MoveMaster) => $"nothing to copy (the target held a replica) in {ConsoleText.Duration(duration)}",
            _ => $"{ConsoleText.Number(op.KeysMoved)} keys in {ConsoleText.Duration(duration)}",
        };

        var fence = op.Fence is { } f
            ? $"{(op.Kind == RingOperationKind.Drain ? "longest fence" : "fence")} {ConsoleText.Milliseconds(f)}"
            : "no fence";
        var version = ring is null ? "" : $"; ring version {ring.Version}";
        return $"{what}: {figures}; {fence}{version}.";
    }

    /// <summary>The message for an operation that was rolled back.</summary>
    public static string RolledBack(RingOperationInfo op, DateTimeOffset now) =>
        $"{char.ToUpperInvariant(Title(op)[0])}{Title(op)[1..]} was rolled back after {ConsoleText.Duration(Duration(op, now))}: {op.Reason ?? "no reason given"}. The ring is as before; nothing was lost.";

    /// <summary>The JSON form of an operation (<c>--json</c>): every field, silos as <c>dimint ring --json</c> shows them.</summary>
    public static object ToJson(RingOperationInfo op, DateTimeOffset now) => new
    {
        id = op.Id,
        kind = op.Kind.ToString(),
        state = op.State.ToString(),
        automatic = op.Automatic,
        rangeId = op.RangeId,
        otherRangeId = op.OtherRangeId,
        resultRanges = op.ResultRanges.IsDefault ? [] : op.ResultRanges.ToArray(),
        source = op.Source?.ToString(),
        target = op.Target?.ToString(),
        splitAt = op.SplitAt is { } at ? ConsoleText.Hex(at) : null,
        progress = Percent(op),
        bytesTotal = op.BytesTotal,
        bytesMoved = op.BytesMoved,
        keysMoved = op.KeysMoved,
        bytesPerSecond = Math.Round(op.BytesPerSecond(now)),
        steps = op.Steps,
        stepsDone = op.StepsDone,
        startedAt = op.StartedAt,
        endedAt = op.EndedAt,
        durationMs = Math.Round(Duration(op, now).TotalMilliseconds, 1),
        fenceMs = op.Fence is { } fence ? Math.Round(fence.TotalMilliseconds, 3) : (double?)null,
        reason = op.Reason,
    };

    /// <summary>A table of operations: in progress and recent (<c>ops</c>), or planned (<c>rebalance --dry-run</c>).</summary>
    public static Table Table(IEnumerable<RingOperationInfo> operations, DateTimeOffset now, bool planned = false)
    {
        var table = planned
            ? new Table().AddColumns("#", "Kind", "Range(s)", "Silos", "Bytes", "Reason")
            : new Table().AddColumns("Id", "Kind", "Range(s)", "Silos", "State", "Progress", "Moved", "Keys", "Rate", "Fence", "Started", "Took", "Reason");
        var index = 0;
        foreach (var op in operations)
        {
            index++;
            var kind = Markup.Escape(Kind(op) + (op.Automatic ? " (auto)" : ""));
            if (planned)
            {
                table.AddRow(
                    index.ToString(CultureInfo.InvariantCulture),
                    kind,
                    Markup.Escape(Ranges(op)),
                    Markup.Escape(Silos(op)),
                    op.BytesTotal > 0 ? ConsoleText.Size(op.BytesTotal) : "-",
                    Markup.Escape(op.Reason ?? ""));
                continue;
            }

            table.AddRow(
                op.Id.ToString(CultureInfo.InvariantCulture),
                kind,
                Markup.Escape(Ranges(op)),
                Markup.Escape(Silos(op)),
                op.State switch
                {
                    RingOperationState.Done => "[green]done[/]",
                    RingOperationState.RolledBack => "[red]rolled back[/]",
                    RingOperationState.Fencing => "[yellow]fencing[/]",
                    _ => Markup.Escape(State(op)),
                },
                Percent(op) is { } percent ? string.Create(CultureInfo.InvariantCulture, $"{percent:0}%") : "-",
                op.BytesTotal > 0 || op.BytesMoved > 0 ? $"{ConsoleText.Size(op.BytesMoved)} / {ConsoleText.Size(Math.Max(op.BytesTotal, op.BytesMoved))}" : "-",
                ConsoleText.Number(op.KeysMoved),
                op.BytesMoved > 0 ? ConsoleText.Rate(op.BytesPerSecond(now)) : "-",
                op.Fence is { } fence ? ConsoleText.Milliseconds(fence) : "-",
                op.StartedAt.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                ConsoleText.Duration(Duration(op, now)),
                Markup.Escape(op.Reason ?? ""));
        }

        return table;
    }

    private static string DescribeRanges(System.Collections.Immutable.ImmutableArray<int> ids, Ring? ring)
    {
        if (ids.IsDefaultOrEmpty)
        {
            return "new ranges";
        }

        var described = ids.Select(id => ring?.FindById(id) is { } range ? $"{id} {range.BoundsText}" : $"{id}").ToArray();
        return described.Length == 1 ? $"range {described[0]}" : $"ranges {string.Join(" and ", described)}";
    }
}
