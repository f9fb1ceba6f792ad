namespace DiMint.Grains.Replication;

/// <summary>
/// A master's view of one of its replicas (or of a move's target): how far it has acknowledged, whether it needs a
/// snapshot, and what it promised. Every mutable field is guarded by its <see cref="MasterReplication"/>'s lock.
/// </summary>
internal sealed class ReplicaFeed(SiloAddress silo, IRangeReplicaGrain replica, ReplicationChannel.Lane lane)
{
    public SiloAddress Silo { get; } = silo;

    public IRangeReplicaGrain Replica { get; } = replica;

    /// <summary>Where the feed's write batches leave (shared with the other ranges' feeds to the same silo).</summary>
    public ReplicationChannel.Lane Lane { get; } = lane;

    /// <summary>The last sequence number the replica confirmed; -1 until the feed has learned it.</summary>
    public long AckedSeq { get; set; } = -1;

    /// <summary>
    /// The range (as the master last changed it) that the replica acknowledged with a batch of writes: later batches
    /// leave it out until it changes. Null when the replica may not hold it (a snapshot was asked for, or a send failed).
    /// </summary>
    public RangeInfo? RangeSent { get; set; }

    /// <summary>Whether the replica holds a complete copy following this master (it may count toward acknowledgements).</summary>
    public bool InSync { get; set; }

    /// <summary>
    /// Whether the feed was stopped (the replica left the configuration, or the master stopped replicating). Set under the
    /// lock; a snapshot being sent also reads it without, between chunks (a stale read sends one chunk more).
    /// </summary>
    public bool Stopped { get; set; }

    /// <summary>Whether the last exchange with the replica failed (it does not count as reachable).</summary>
    public bool Failed { get; set; }

    /// <summary>
    /// A move's target (or a replica being added) rather than a replica in the ring: it gets the writes but counts toward
    /// nothing until the ring names it.
    /// </summary>
    public bool IsLearner { get; set; }

    /// <summary>The operation a learner copies for.</summary>
    public long OperationId { get; set; }

    /// <summary>When the overlord last asked about a learner (it is dropped when nobody asks any more).</summary>
    public long LastAskedTimestamp { get; set; }

    /// <summary>The bytes and entries of the snapshot being sent (or last sent), for progress reports.</summary>
    public long SnapshotBytesTotal { get; set; }

    public long SnapshotBytesSent { get; set; }

    public long SnapshotKeysSent { get; set; }

    /// <summary>When the feed last failed to reach the replica, or 0 while it succeeds.</summary>
    public long FailingSinceTimestamp { get; set; }

    /// <summary>
    /// The newer epoch the replica follows or was fenced for (0 while none): this master cannot feed it until that epoch
    /// is settled, and a move's copy to it has failed. Written by the feed's loop and read by progress reports, both
    /// under the <see cref="MasterReplication"/>'s lock.
    /// </summary>
    public long FencedPastEpoch { get; set; }

    /// <summary>
    /// When the newest batch the replica acknowledged was sent: the replica promised, on receiving it, not to let a
    /// successor be promoted for a lease duration, so this master's lease runs from here.
    /// </summary>
    public long PromiseFrom { get; set; }

    /// <summary>When the last batch (writes or heartbeat) left for the replica.</summary>
    public long LastSentTimestamp { get; set; }

    /// <summary>
    /// Whether the feed is in its steady state, where writes leave and acknowledgements are handled on whichever thread
    /// records or receives them rather than in the feed's loop. The loop waits on <see cref="PumpExit"/> meanwhile.
    /// </summary>
    public bool Pumping { get; set; }

    /// <summary>Whether a batch of the steady state is on its way to the replica.</summary>
    public bool InFlight { get; set; }

    /// <summary>
    /// Completed when the steady state ends: with the acknowledgement or error the feed's loop must handle (null for both
    /// when the feed stopped or the log no longer covers the replica).
    /// </summary>
    public TaskCompletionSource<(ReplicaAck? Ack, Exception? Error)> PumpExit { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
