namespace DiMint.Grains.Overlord;

/// <summary>
/// The round trips of the overlord's probes that were answered, summarised once a minute in the log: what a loaded
/// machine, the garbage collector and the network do to a heartbeat, which is what the failover timeouts must outlast.
/// Used on the overlord's grain turns only.
/// </summary>
internal sealed class ProbeTimes
{
    private readonly List<(double Milliseconds, SiloAddress Silo)> _samples = [];

    public void Add(TimeSpan roundTrip, SiloAddress silo) => _samples.Add((roundTrip.TotalMilliseconds, silo));

    /// <summary>The summary of the probes since the last one, and a fresh start; null when none was answered.</summary>
    public Summary? Take()
    {
        if (_samples.Count == 0)
        {
            return null;
        }

        var sorted = _samples.OrderBy(s => s.Milliseconds).ToArray();
        _samples.Clear();
        return new Summary(
            sorted.Length,
            sorted[(sorted.Length - 1) / 2].Milliseconds,
            sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)].Milliseconds,
            sorted[^1].Milliseconds,
            sorted[^1].Silo);
    }

    /// <summary>Probes answered, their median, 99th percentile and longest round trip (ms), and the silo of the longest.</summary>
    public sealed record Summary(int Count, double Median, double P99, double Max, SiloAddress Slowest);
}
