using System.Globalization;
using ScottPlot;

namespace DiMint.Cli.Bench;

/// <summary>Draws one run as a PNG (<c>dimint bench --chart</c>): its throughput and p99 over time, warm-up included, one point per progress interval.</summary>
internal static class BenchChart
{
    private const int Width = 1200;
    private const int Height = 700;

    public static void SavePng(BenchResult result, string path)
    {
        var seconds = result.Timeline.Select(s => s.Seconds).ToArray();
        var throughput = new Plot();
        var multiplot = new Multiplot(throughput) { Layout = new ScottPlot.MultiplotLayouts.Rows() };
        var latency = multiplot.AddPlot();

        throughput.Add.Scatter(seconds, result.Timeline.Select(s => s.OpsPerSecond).ToArray());
        var answered = result.Timeline.Where(s => s.P99Ms is not null).ToArray();
        latency.Add.Scatter(answered.Select(s => s.Seconds).ToArray(), answered.Select(s => s.P99Ms!.Value).ToArray());

        var workload = result.Workload;
        throughput.Title(string.Create(
            CultureInfo.InvariantCulture,
            $"{result.Target}: {workload.Keys:N0} keys, {workload.ReadRatio * 100:0}% reads, {workload.Concurrency} in flight; {result.OpsPerSecond:N0} ops/s measured, p99 {result.Latency.All.P99:0.00} ms"));
        throughput.YLabel("ops/s");
        latency.YLabel("p99 of the interval (ms)");
        latency.XLabel("seconds from the start of measuring (before 0: warm-up)");
        // Both panels over the same seconds, from zero up; the dashed line is where measuring starts (before it: warm-up).
        var first = Math.Min(0, seconds.DefaultIfEmpty(0).Min()) - 0.5;
        var last = seconds.DefaultIfEmpty(1).Max() + 0.5;
        var highest = new[]
        {
            result.Timeline.Select(s => s.OpsPerSecond).DefaultIfEmpty(1).Max(),
            answered.Select(s => s.P99Ms!.Value).DefaultIfEmpty(1).Max(),
        };
        var panels = new[] { throughput, latency };
        for (var i = 0; i < panels.Length; i++)
        {
            panels[i].Add.VerticalLine(0, color: Colors.Gray, pattern: LinePattern.Dashed);
            panels[i].Axes.SetLimits(first, last, 0, highest[i] * 1.15);
        }

        multiplot.SavePng(path, Width, Height);
    }
}
