namespace DiMint.Cli.Bench;

/// <summary>
/// One interval of a run, as its live progress line showed it: when it ended (seconds from the start of measuring,
/// negative during the warm-up), its throughput, the p99 of the operations answered in it (null when none was) and the
/// errors so far.
/// </summary>
internal sealed record BenchSample(double Seconds, double OpsPerSecond, double? P99Ms, long Errors);
