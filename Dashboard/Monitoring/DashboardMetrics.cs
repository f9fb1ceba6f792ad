using System.Diagnostics.Metrics;

namespace DiMint.Dashboard.Monitoring;

/// <summary>
/// The cluster's figures as OpenTelemetry instruments, exported for Prometheus at <c>/metrics</c>: per silo up, keys,
/// bytes, memory, operations (a counter), latency percentiles and CPU; per range keys and bytes. Read from
/// <see cref="ClusterMonitor"/>'s latest sample when scraped.
/// </summary>
internal sealed class DashboardMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "DiMint";

    public DashboardMetrics(IMeterFactory meters, ClusterMonitor monitor)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("dimint.silo.up", () => Silos(monitor, s => s.Up ? 1 : 0), description: "1 when the silo is an active member that answers.");
        meter.CreateObservableGauge("dimint.silo.keys", () => Silos(monitor, s => s.Keys), description: "Entries held by the silo.");
        meter.CreateObservableGauge("dimint.silo.data", () => Silos(monitor, s => s.Bytes), unit: "By", description: "Bytes of keys and values held by the silo.");
        meter.CreateObservableGauge("dimint.silo.memory", () => Silos(monitor, s => s.MemoryBytes), unit: "By", description: "The silo process's working set.");
        meter.CreateObservableGauge("dimint.silo.master_ranges", () => Silos(monitor, s => s.MasterRanges), description: "Ranges whose master the silo holds.");
        meter.CreateObservableGauge("dimint.silo.replica_ranges", () => Silos(monitor, s => s.ReplicaRanges), description: "Ranges the silo holds a replica of.");
        meter.CreateObservableGauge("dimint.silo.ops_rate", () => Silos(monitor, s => s.OpsPerSecond), unit: "{operation}/s", description: "Reads and writes per second over the last sample.");
        meter.CreateObservableGauge("dimint.silo.cpu", () => Silos(monitor, s => s.CpuPercent), unit: "%", description: "CPU used by the silo process, percent of its cores.");
        meter.CreateObservableCounter("dimint.silo.operations", () => Operations(monitor), unit: "{operation}", description: "Reads and writes served since the silo started.");
        meter.CreateObservableGauge("dimint.silo.latency", () => Latency(monitor), unit: "ms", description: "Range-call latency over the last sample, by quantile.");
        meter.CreateObservableCounter("dimint.silo.latency.bucket", () => LatencyBuckets(monitor), unit: "{operation}", description: "Reads and writes served since the silo started, by latency upper bound (le, seconds; cumulative like a Prometheus histogram).");
        meter.CreateObservableGauge("dimint.range.keys", () => monitor.Current.Ranges.Select(r => new Measurement<long>(r.Keys, Tag("range", r.Id), Tag("master", r.Master))), description: "Entries held by the range (-1: not answered).");
        meter.CreateObservableGauge("dimint.range.data", () => monitor.Current.Ranges.Select(r => new Measurement<long>(r.Bytes, Tag("range", r.Id), Tag("master", r.Master))), unit: "By", description: "Bytes held by the range (-1: not answered).");
    }

    private static IEnumerable<Measurement<double>> Silos(ClusterMonitor monitor, Func<SiloView, double?> value) =>
        monitor.Current.Silos.Where(s => value(s) is not null).Select(s => new Measurement<double>(value(s)!.Value, Tag("silo", s.Address)));

    private static IEnumerable<Measurement<long>> Operations(ClusterMonitor monitor) =>
        monitor.LatestLoads.SelectMany(p => new[]
        {
            new Measurement<long>(p.Value.Reads, Tag("silo", p.Key), Tag("kind", "read")),
            new Measurement<long>(p.Value.Writes, Tag("silo", p.Key), Tag("kind", "write")),
        });

    private static IEnumerable<Measurement<double>> Latency(ClusterMonitor monitor)
    {
        foreach (var silo in monitor.Current.Silos)
        {
            if (silo.LatencyP50Ms is { } p50)
            {
                yield return new Measurement<double>(p50, Tag("silo", silo.Address), Tag("quantile", "0.5"));
            }

            if (silo.LatencyP99Ms is { } p99)
            {
                yield return new Measurement<double>(p99, Tag("silo", silo.Address), Tag("quantile", "0.99"));
            }
        }
    }

    private static IEnumerable<Measurement<long>> LatencyBuckets(ClusterMonitor monitor)
    {
        var bounds = SiloLoad.LatencyBoundsMicroseconds;
        foreach (var (silo, load) in monitor.LatestLoads)
        {
            long cumulative = 0;
            for (var i = 0; i < load.LatencyBuckets.Length; i++)
            {
                cumulative += load.LatencyBuckets[i];
                var le = i < bounds.Length ? (bounds[i] / 1_000_000.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "+Inf";
                yield return new Measurement<long>(cumulative, Tag("silo", silo), Tag("le", le));
            }
        }
    }

    private static KeyValuePair<string, object?> Tag(string name, object value) => new(name, value);
}
