using System.Collections.Immutable;

namespace DiMint;

/// <summary>A ring operation (split, merge, move, drain) as the overlord tracks it: what, where, how far, how it ended.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RingOperationInfo")]
public sealed record RingOperationInfo
{
    /// <summary>The operation's id, unique while the overlord runs.</summary>
    [Id(0)]
    public required long Id { get; init; }

    /// <summary>What the operation does.</summary>
    [Id(1)]
    public required RingOperationKind Kind { get; init; }

    /// <summary>The range it works on (0 for a drain).</summary>
    [Id(2)]
    public int RangeId { get; init; }

    /// <summary>The second range of a merge.</summary>
    [Id(3)]
    public int? OtherRangeId { get; init; }

    /// <summary>The silo data leaves (a move's or drain's source).</summary>
    [Id(4)]
    public SiloAddress? Source { get; init; }

    /// <summary>The silo data goes to (a move's target).</summary>
    [Id(5)]
    public SiloAddress? Target { get; init; }

    /// <summary>A split's hash: the upper half starts there.</summary>
    [Id(6)]
    public ulong? SplitAt { get; init; }

    /// <summary>Where the operation stands.</summary>
    [Id(7)]
    public required RingOperationState State { get; init; }

    /// <summary>Started by the overlord's balancing policy rather than an operator.</summary>
    [Id(8)]
    public bool Automatic { get; init; }

    /// <summary>Why the policy planned it, or why it was rolled back.</summary>
    [Id(9)]
    public string? Reason { get; init; }

    /// <summary>Bytes to copy (0 when nothing moves between silos).</summary>
    [Id(10)]
    public long BytesTotal { get; init; }

    /// <summary>Bytes copied so far.</summary>
    [Id(11)]
    public long BytesMoved { get; init; }

    /// <summary>Entries copied so far (or, for a split or merge, entries redistributed).</summary>
    [Id(12)]
    public long KeysMoved { get; init; }

    /// <summary>When it started.</summary>
    [Id(13)]
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished or was rolled back.</summary>
    [Id(14)]
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>How long writes to the range(s) waited in the fence: the longest fence of a drain's steps.</summary>
    [Id(15)]
    public TimeSpan? Fence { get; init; }

    /// <summary>The ranges the operation produced (a split's halves, a merge's result).</summary>
    [Id(16)]
    public ImmutableArray<int> ResultRanges { get; init; } = [];

    /// <summary>For a drain: steps done and steps in all.</summary>
    [Id(17)]
    public int StepsDone { get; init; }

    /// <summary>For a drain: steps in all (known once planned).</summary>
    [Id(18)]
    public int Steps { get; init; }

    /// <summary>Whether the operation has finished, one way or the other.</summary>
    public bool IsFinished => State is RingOperationState.Done or RingOperationState.RolledBack;

    /// <summary>Bytes per second copied so far (0 before anything moved).</summary>
    public double BytesPerSecond(DateTimeOffset now)
    {
        var seconds = ((EndedAt ?? now) - StartedAt).TotalSeconds;
        return seconds <= 0 ? 0 : BytesMoved / seconds;
    }
}
