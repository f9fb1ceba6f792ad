namespace DiMint.Dashboard.Monitoring;

/// <summary>Ops/s and latency of every silo at one moment: one point of the page's charts (<c>/api/stats</c>).</summary>
public sealed record LoadSample
{
    /// <summary>When the sample was taken.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Per silo address: its figures.</summary>
    public required IReadOnlyDictionary<string, SiloLoadPoint> Silos { get; init; }
}
