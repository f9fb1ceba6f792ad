namespace DiMint.Cli.Bench;

/// <summary>One store in a comparison: its id in the raw file names, how it is shown, and how it was set up.</summary>
/// <param name="Id">The name in the raw files (<c>dimint</c>, <c>redis</c>, <c>garnet</c>).</param>
/// <param name="Label">How tables and the chart name it.</param>
/// <param name="Shape">How it was set up (processes, replication, persistence), as the script that started it says.</param>
/// <param name="Server">What answered at its endpoints, as the benchmark saw it.</param>
internal sealed record CompareSystem(string Id, string Label, string? Shape, string? Version, string? Server, IReadOnlyList<string> Endpoints);
