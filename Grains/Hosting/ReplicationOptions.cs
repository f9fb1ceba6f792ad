namespace DiMint.Grains.Hosting;

/// <summary>Replication and failover (section <c>DiMint:Replication</c>).</summary>
public sealed class ReplicationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Replication";

    /// <summary>Copies of each range, master included; capped by the number of silos. Default 3.</summary>
    public int ReplicationFactor { get; set; } = 3;

    /// <summary>
    /// Replicas that must hold a write before the master acknowledges it (capped by the range's replicas).
    /// 0 is plain asynchronous replication. Default 1.
    /// </summary>
    public int WriteAcks { get; set; } = 1;

    /// <summary>How long a write waits for its acknowledgements before failing with NotEnoughReplicas. Default 2 s.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a silo may fail the overlord's probes before its ranges fail over. Default 2 s.</summary>
    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the overlord probes the silos. Default 250 ms.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long one probe may take. Default 500 ms.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The size of one snapshot chunk sent to a new replica. Default 1 MiB.</summary>
    public int SnapshotChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest number of writes sent to a replica in one call. Default 4,096.</summary>
    public int MaxBatchOps { get; set; } = 4096;
}
