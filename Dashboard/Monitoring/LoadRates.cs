namespace DiMint.Dashboard.Monitoring;

/// <summary>Rates and latency percentiles between two samples of a silo's counters.</summary>
public static class LoadRates
{
    /// <summary>Reads/s, writes/s, CPU % and latency percentiles from <paramref name="previous"/> to <paramref name="current"/>.</summary>
    public static (double Reads, double Writes, double? CpuPercent, double? P50Ms, double? P99Ms) Between(SiloLoad previous, SiloLoad current)
    {
        var seconds = (current.SampledAt - previous.SampledAt).TotalSeconds;
        if (seconds <= 0 || current.Reads < previous.Reads || current.Writes < previous.Writes)
        {
            return (0, 0, null, null, null);
        }

        var cpu = (current.CpuTime - previous.CpuTime).TotalSeconds / seconds / Math.Max(1, current.ProcessorCount) * 100;
        var buckets = new long[current.LatencyBuckets.Length];
        for (var i = 0; i < buckets.Length && i < previous.LatencyBuckets.Length; i++)
        {
            buckets[i] = current.LatencyBuckets[i] - previous.LatencyBuckets[i];
        }

        return ((current.Reads - previous.Reads) / seconds, (current.Writes - previous.Writes) / seconds,
            Math.Clamp(cpu, 0, 100), Percentile(buckets, 0.5), Percentile(buckets, 0.99));
    }

    /// <summary>The <paramref name="quantile"/> of a latency histogram, in ms, interpolated inside its bucket; null when empty.</summary>
    public static double? Percentile(long[] buckets, double quantile)
    {
        var total = buckets.Sum();
        if (total <= 0)
        {
            return null;
        }

        var bounds = SiloLoad.LatencyBoundsMicroseconds;
        var rank = quantile * total;
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i] == 0)
            {
                continue;
            }

            if (seen + buckets[i] >= rank)
            {
                double lower = i == 0 ? 0 : bounds[i - 1];
                double upper = i < bounds.Length ? bounds[i] : bounds[^1] * 2.0;
                var within = (rank - seen) / buckets[i];
                return (lower + ((upper - lower) * within)) / 1000.0;
            }

            seen += buckets[i];
        }

        return bounds[^1] * 2.0 / 1000.0;
    }
}
