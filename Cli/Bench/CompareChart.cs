using System.Globalization;
using ScottPlot;

namespace DiMint.Cli.Bench;

/// <summary>Draws a comparison as a PNG: throughput and p99 latency per workload, one bar per store, side by side.</summary>
internal static class CompareChart
{
    private const int Width = 1200;
    private const int Height = 560;

    public static void SavePng(CompareSummary summary, string path)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var colors = summary.Systems.Select((s, i) => (s.Id, Color: palette.GetColor(i))).ToDictionary(x => x.Id, x => x.Color, StringComparer.Ordinal);
        var throughput = new Plot();
        var multiplot = new Multiplot(throughput) { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        var latency = multiplot.AddPlot();
        Draw(throughput, summary, colors, r => r.OpsPerSecond, v => v.ToString("N0", CultureInfo.InvariantCulture), "Throughput (ops/s, higher is better)");
        Draw(latency, summary, colors, r => r.P99, v => v.ToString("0.00", CultureInfo.InvariantCulture), "p99 latency (ms, lower is better)");

        // The same legend under both panels, outside the bars, so the panels keep the same height.
        foreach (var plot in new[] { throughput, latency })
        {
            foreach (var system in summary.Systems)
            {
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = system.Label, FillColor = colors[system.Id] });
            }

            plot.ShowLegend(Edge.Bottom);
        }

        multiplot.SavePng(path, Width, Height);
    }

    private static void Draw(
        Plot plot, CompareSummary summary, Dictionary<string, Color> colors, Func<CompareRow, double> value, Func<double, string> label, string title)
    {
        var perGroup = summary.Systems.Count + 1;
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (var w = 0; w < summary.Workloads.Count; w++)
        {
            var workload = summary.Workloads[w];
            var first = w * perGroup;
            for (var s = 0; s < summary.Systems.Count; s++)
            {
                var row = workload.Rows.FirstOrDefault(r => r.System == summary.Systems[s].Id);
                if (row is not null)
                {
                    bars.Add(new Bar { Position = first + s, Value = value(row), FillColor = colors[row.System], Label = label(value(row)) });
                }
            }

            ticks.Add(new Tick(first + ((summary.Systems.Count - 1) / 2.0), workload.Name));
        }

        plot.Add.Bars(bars).ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.HideGrid();
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
    }
}
