namespace DiMint.Cli.Bench;

/// <summary>One store's figures for one workload; latencies in milliseconds.</summary>
/// <param name="Errors">Failed operations, plus reads that found no value (every key was stored before the run).</param>
/// <param name="DimintRatio">DiMint's throughput divided by this store's, at the same workload and concurrency; null on DiMint's own row.</param>
internal sealed record CompareRow(
    string System,
    double OpsPerSecond,
    double P50,
    double P90,
    double P99,
    double P999,
    double Max,
    long Operations,
    long Errors,
    double? DimintRatio);
