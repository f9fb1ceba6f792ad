namespace DiMint.Grains.Hosting;

/// <summary>Replication and failover (section <c>DiMint:Replication</c>).</summary>
public sealed class ReplicationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Replication";

    /// <summary>Copies of each range, master included; capped by the number of silos. Default 3.</summary>
    public int ReplicationFactor { get; set; } = 3;

    /// <summary>
    /// Replicas that must hold a write before the master acknowledges it. Default (null): a majority of each range's
    /// copies, counting the master: 1 replica of 2 with ReplicationFactor 3, 2 of 4 with 5; a promotion then needs the
    /// rest of a majority, so no acknowledged write is lost to a crash, a pause or a partition. More makes writes wait for
    /// more replicas and promotions need fewer (capped by the replicas a range has). 0 is asynchronous replication:
    /// writes are acknowledged at once and a failover can lose what the master had not sent yet.
    /// </summary>
    public int? WriteAcks { get; set; }

    /// <summary>
    /// How long a replica's promise to its master lasts: a replica answers a fence for a newer epoch only once this long
    /// has passed since it last acknowledged the old master, and the master serves reads only until then (less a margin),
    /// so a master cut off from its replicas stops serving before a successor can be promoted. Shorter than
    /// <see cref="FailoverTimeout"/>, so a failover after missed probes never waits for it; a killed master's promise is
    /// void at once (its silo port refuses connections). Idle masters renew it every quarter of it. Default 500 ms: the
    /// overlord's probes of silos on a 2-core machine under full load took at most 180 ms (99th percentile 16 ms).
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a write waits for its acknowledgements before failing with NotEnoughReplicas. Default 2 s.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a silo may fail the overlord's probes before its ranges fail over (a paused or cut-off silo; a killed one
    /// fails at once, its silo port refusing connections), when neither it nor the overlord's process stalled lately:
    /// a silo gets twice the longest recent stall of either when that is longer (<see cref="Overlord.SilenceAllowance"/>),
    /// up to <see cref="MaxFailoverTimeout"/>. Longer than <see cref="LeaseDuration"/>. Default 600 ms.
    /// </summary>
    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromMilliseconds(600);

    /// <summary>
    /// The most a silo that stalled lately (or whose overlord did) may fail the probes before it fails over; set no higher
    /// than <see cref="FailoverTimeout"/>, stalls are not allowed for. Default 3 s.
    /// </summary>
    public TimeSpan MaxFailoverTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the overlord's lease lasts (<see cref="Overlord.OverlordElection"/>): a standby takes the overlord over when
    /// the holder has not renewed it for this long (a pause, a partition), or at the first of its reads (a quarter of it
    /// apart) that finds no renewal when the holder's silo port refuses connections (a kill). Default 1 s.
    /// </summary>
    public TimeSpan OverlordLeaseDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many standbys read the overlord's lease every quarter of <see cref="OverlordLeaseDuration"/> (the first active
    /// silos other than the holder, by address): they take the overlord over within about a lease. Every other silo reads
    /// it every two leases, a backstop should those all be gone or cut off, and learns of a takeover from the new
    /// overlord's probes. Every silo reading four times a second was 800 ZooKeeper reads a second at 200 silos. Default 3.
    /// </summary>
    public int OverlordStandbys { get; set; } = 3;

    /// <summary>How often the overlord probes the silos. Default 100 ms.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long one probe may take before it counts as missed (a silo fails only after missing them for
    /// <see cref="FailoverTimeout"/>). Default 300 ms.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The size of one snapshot chunk sent to a new replica. Default 1 MiB.</summary>
    public int SnapshotChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest number of writes sent to a replica in one call. Default 4,096.</summary>
    public int MaxBatchOps { get; set; } = 4096;
}
