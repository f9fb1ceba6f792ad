namespace DiMint.Dashboard.Monitoring;

/// <summary>The cluster at one moment, as the page shows it (<c>/api/cluster</c>).</summary>
public sealed record ClusterView
{
    /// <summary>When the view was made.</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Whether the last samples reached the cluster.</summary>
    public required bool Connected { get; init; }

    /// <summary>Why the last sample failed, if it did.</summary>
    public string? Error { get; init; }

    /// <summary>The ring version, or -1 before the first ring was read.</summary>
    public required long RingVersion { get; init; }

    /// <summary>Every silo membership knows of, up or down, in address order.</summary>
    public required IReadOnlyList<SiloView> Silos { get; init; }

    /// <summary>The ranges, in ring order.</summary>
    public required IReadOnlyList<RangeView> Ranges { get; init; }

    /// <summary>Ring operations (splits, merges, moves, drains) under way, then the most recent finished ones.</summary>
    public required IReadOnlyList<OperationView> Operations { get; init; }

    /// <summary>Whether admin actions are enabled (an admin token is configured).</summary>
    public required bool AdminEnabled { get; init; }
}
