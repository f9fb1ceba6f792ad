namespace DiMint.Cli.Bench;

/// <summary>How a benchmark picks the key of each operation.</summary>
internal enum KeyDistribution
{
    /// <summary>Every key equally likely.</summary>
    Uniform,

    /// <summary>A few keys hot: Zipf's law with theta 0.99 (YCSB's skew).</summary>
    Zipfian,
}
