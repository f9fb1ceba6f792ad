namespace DiMint.Dashboard.Monitoring;

/// <summary>One range of the ring as the dashboard shows it (<c>/api/ring</c>).</summary>
public sealed record RangeView
{
    /// <summary>The range id.</summary>
    public required int Id { get; init; }

    /// <summary>The first hash, hexadecimal (<c>0x...</c>).</summary>
    public required string Start { get; init; }

    /// <summary>The first hash past the range, hexadecimal, or <c>2^64</c>.</summary>
    public required string End { get; init; }

    /// <summary>Where the range starts, as a fraction of the ring (0..1).</summary>
    public required double StartFraction { get; init; }

    /// <summary>Where the range ends, as a fraction of the ring (0..1).</summary>
    public required double EndFraction { get; init; }

    /// <summary>The master's silo address (<see cref="SiloView.Address"/>).</summary>
    public required string Master { get; init; }

    /// <summary>The replicas' silo addresses.</summary>
    public required IReadOnlyList<string> Replicas { get; init; }

    /// <summary>Grows each time the master changes.</summary>
    public required long Epoch { get; init; }

    /// <summary>Entries held, or -1 when the master did not answer.</summary>
    public required long Keys { get; init; }

    /// <summary>Bytes held, or -1 when the master did not answer.</summary>
    public required long Bytes { get; init; }

    /// <summary>Writes the slowest replica is behind the master (replication lag), or -1 when unknown.</summary>
    public long ReplicaLag { get; init; } = -1;

    /// <summary>Replicas holding a complete copy that follows the master, or -1 when unknown.</summary>
    public int ReplicasInSync { get; init; } = -1;
}
