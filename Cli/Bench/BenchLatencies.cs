namespace DiMint.Cli.Bench;

/// <summary>Figures for all operations, reads and writes; latencies in milliseconds.</summary>
internal sealed record BenchLatencies(string Unit, LatencySummary All, LatencySummary Read, LatencySummary Write);
