namespace DiMint.Cli.Bench;

/// <summary>The workload parameters a result was measured with.</summary>
internal sealed record BenchWorkload(
    long Keys,
    int ValueSize,
    double ReadRatio,
    int Concurrency,
    double? DurationSeconds,
    long? Operations,
    string Distribution,
    double? ZipfianTheta,
    double WarmupSeconds,
    bool Load,
    int Seed);
