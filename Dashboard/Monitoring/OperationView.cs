using System.Globalization;

namespace DiMint.Dashboard.Monitoring;

/// <summary>A ring operation (split, merge, move, drain) as the dashboard shows it (<c>/api/operations</c>, the operations panel).</summary>
public sealed record OperationView
{
    /// <summary>The overlord's id for it.</summary>
    public required long Id { get; init; }

    /// <summary><see cref="RingOperationKind"/>: Split, Merge, MoveMaster, MoveReplica or Drain.</summary>
    public required string Kind { get; init; }

    /// <summary><see cref="RingOperationState"/>: Planned, Running, Fencing, Done or RolledBack.</summary>
    public required string State { get; init; }

    /// <summary>Whether it is still under way (Running or Fencing).</summary>
    public required bool InProgress { get; init; }

    /// <summary>Started by the balancing policy rather than an operator.</summary>
    public required bool Automatic { get; init; }

    /// <summary>The range it works on (0 for a drain).</summary>
    public required int RangeId { get; init; }

    /// <summary>A merge's second range.</summary>
    public int? OtherRangeId { get; init; }

    /// <summary>The ranges it produced (a split's halves, a merge's result).</summary>
    public required IReadOnlyList<int> ResultRanges { get; init; }

    /// <summary>The silo data leaves (<see cref="SiloView.Address"/>), if any.</summary>
    public string? Source { get; init; }

    /// <summary>The silo data goes to, if any.</summary>
    public string? Target { get; init; }

    /// <summary>A split's hash, hexadecimal.</summary>
    public string? SplitAt { get; init; }

    /// <summary>Percent done (by a drain's steps, else by bytes copied), or null when there is nothing to measure it by.</summary>
    public double? Progress { get; init; }

    /// <summary>Bytes to copy (0 when nothing moves between silos).</summary>
    public required long BytesTotal { get; init; }

    /// <summary>Bytes copied so far.</summary>
    public required long BytesMoved { get; init; }

    /// <summary>Entries copied (or redistributed) so far.</summary>
    public required long KeysMoved { get; init; }

    /// <summary>Bytes per second copied since it started.</summary>
    public required double BytesPerSecond { get; init; }

    /// <summary>For a drain: steps done and steps in all.</summary>
    public required int StepsDone { get; init; }

    /// <summary>For a drain: steps in all (0 until planned).</summary>
    public required int Steps { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished or was rolled back.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>How long it ran (so far).</summary>
    public required double DurationMs { get; init; }

    /// <summary>How long writes waited in the fence (a drain: its longest), once known.</summary>
    public double? FenceMs { get; init; }

    /// <summary>Why the policy planned it, or why it was rolled back.</summary>
    public string? Reason { get; init; }

    /// <summary>The view of <paramref name="op"/> at <paramref name="now"/> (which rates and running durations are measured to).</summary>
    public static OperationView From(RingOperationInfo op, DateTimeOffset now)
    {
        var duration = (op.EndedAt ?? now) - op.StartedAt;
        return new OperationView
        {
            Id = op.Id,
            Kind = op.Kind.ToString(),
            State = op.State.ToString(),
            InProgress = op.State is RingOperationState.Running or RingOperationState.Fencing,
            Automatic = op.Automatic,
            RangeId = op.RangeId,
            OtherRangeId = op.OtherRangeId,
            ResultRanges = op.ResultRanges.IsDefault ? [] : [.. op.ResultRanges],
            Source = op.Source?.ToParsableString(),
            Target = op.Target?.ToParsableString(),
            SplitAt = op.SplitAt is { } at ? string.Create(CultureInfo.InvariantCulture, $"0x{at:x16}") : null,
            Progress = ProgressOf(op),
            BytesTotal = op.BytesTotal,
            BytesMoved = op.BytesMoved,
            KeysMoved = op.KeysMoved,
            BytesPerSecond = Math.Round(op.BytesPerSecond(now), 1),
            StepsDone = op.StepsDone,
            Steps = op.Steps,
            StartedAt = op.StartedAt,
            EndedAt = op.EndedAt,
            DurationMs = Math.Round(Math.Max(0, duration.TotalMilliseconds), 1),
            FenceMs = op.Fence is { } fence ? Math.Round(fence.TotalMilliseconds, 3) : null,
            Reason = op.Reason,
        };
    }

    private static double? ProgressOf(RingOperationInfo op)
    {
        if (op.State == RingOperationState.Done)
        {
            return 100;
        }

        // A drain's byte count grows as each of its steps starts: its steps say better how far it is.
        if (op.Steps > 0)
        {
            return Math.Round(Math.Clamp(100.0 * op.StepsDone / op.Steps, 0, 100), 1);
        }

        return op.BytesTotal > 0 ? Math.Round(Math.Clamp(100.0 * op.BytesMoved / op.BytesTotal, 0, 100), 1) : null;
    }
}
