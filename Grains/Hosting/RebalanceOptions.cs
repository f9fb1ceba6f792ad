namespace DiMint.Grains.Hosting;

/// <summary>Splits, merges, moves and the overlord's balancing policy (section <c>DiMint:Rebalance</c>).</summary>
public sealed class RebalanceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Rebalance";

    /// <summary>Whether the overlord balances the cluster on its own (splits, merges, moves, joining silos). Default true.</summary>
    public bool AutoBalance { get; set; } = true;

    /// <summary>How often the policy looks at the cluster. Default 5 s.</summary>
    public TimeSpan BalanceInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Ring operations running at once in the cluster (never more than one per range). Default 2.</summary>
    public int MaxConcurrentOperations { get; set; } = 2;

    /// <summary>
    /// How fast a move copies a range (and a master rebuilds a replica), in bytes per second, so that foreground
    /// latency stays bounded; 0 is unthrottled. Default 64 MiB/s.
    /// </summary>
    public long TransferBytesPerSecond { get; set; } = 64L * 1024 * 1024;

    /// <summary>A range is split when it holds more than this many times the keys or bytes of the smallest range. Default 2 (the design report's rule).</summary>
    public double SplitRatio { get; set; } = 2.0;

    /// <summary>
    /// Ranges below this size are never split by the ratio rule, and the smallest range counts as at least this big:
    /// tiny ranges need no balancing. Default 64 MiB.
    /// </summary>
    public long SplitFloorBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A range larger than this is split whatever the others hold. Default 1 GiB.</summary>
    public long MaxRangeBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Adjacent ranges on the same silos are merged when together they hold less than this. Default 8 MiB.</summary>
    public long MergeBelowBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Merges stop at this many ranges per silo, so the ring keeps enough ranges to spread and an operator's splits are not undone at once. Default 16.</summary>
    public int MinRangesPerSilo { get; set; } = 16;

    /// <summary>
    /// While the ring has fewer than this many ranges per silo, the policy splits ranges (the largest first, at the middle
    /// of their hashes when they hold too little to split by their data), so that silos that join get masters to take
    /// even while the ranges are small: 24 ranges over 30 silos left 6 silos mastering nothing. At most
    /// <see cref="MinRangesPerSilo"/>, so merges do not undo the splits. 0 turns it off. Default 2.
    /// </summary>
    public int SplitBelowRangesPerSilo { get; set; } = 2;

    /// <summary>A silo holding more than this many times the mean bytes, masters or replicas gives some away. Default 1.25.</summary>
    public double MoveThreshold { get; set; } = 1.25;

    /// <summary>How long a fence waits for the final catch-up before the operation is rolled back. Default 2 s.</summary>
    public TimeSpan FenceCatchUp { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a copy may go without the overlord asking about it before the master drops it. Default 30 s.</summary>
    public TimeSpan CopyLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a copy may fail to make progress (its target unreachable) before the move is rolled back. Default 10 s.</summary>
    public TimeSpan CopyStallTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
