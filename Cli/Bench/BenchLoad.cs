namespace DiMint.Cli.Bench;

/// <summary>How long storing every key took.</summary>
internal sealed record BenchLoad(long Keys, double Seconds, double KeysPerSecond);
