using System.Globalization;
using System.Text.RegularExpressions;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>The samples of a Prometheus text exposition (<c>name{label="value",...} value</c> lines), as scraped from <c>/metrics</c>.</summary>
internal sealed partial class PrometheusText(IReadOnlyList<PrometheusText.Sample> samples)
{
    public static PrometheusText Parse(string text) =>
        new([.. text.Split('\n').Select(l => SampleLine().Match(l)).Where(m => m.Success).Select(m => new Sample(
            m.Groups["name"].Value,
            LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))]);

    /// <summary>The samples of <paramref name="name"/> carrying every one of <paramref name="labels"/>.</summary>
    public IReadOnlyList<Sample> Samples(string name, params (string Label, string Value)[] labels) =>
        [.. samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value))];

    /// <summary>The sum of <see cref="Samples"/>.</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) => Samples(name, labels).Sum(s => s.Value);

    /// <summary>The silos <paramref name="name"/> has samples for.</summary>
    public IReadOnlyList<string> Silos(string name) => [.. Samples(name).Select(s => s.Labels["silo"]).Distinct()];

    [GeneratedRegex(@"^(?<name>[A-Za-z_:][A-Za-z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(\w+)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
