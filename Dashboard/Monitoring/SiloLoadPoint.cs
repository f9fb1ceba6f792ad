namespace DiMint.Dashboard.Monitoring;

/// <summary>One silo's figures in a <see cref="LoadSample"/>.</summary>
public sealed record SiloLoadPoint(double OpsPerSecond, double? LatencyP50Ms, double? LatencyP99Ms, double? CpuPercent);
