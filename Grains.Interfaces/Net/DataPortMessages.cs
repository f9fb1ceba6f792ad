namespace DiMint;

/// <summary>
/// A request on a silo's data port (<see cref="FramedSocket"/>), without an Orleans message around it: a client's batch
/// (what <see cref="ISiloBatchService.ExecuteAsync"/> takes), or a master's replication batches for the silo's replicas
/// (what <see cref="IReplicationService.ApplyAsync"/> takes).
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.DataPortRequest")]
public sealed record DataPortRequest
{
    /// <summary>One part per range, as for <see cref="ISiloBatchService.ExecuteAsync"/>.</summary>
    [Id(0)]
    public required RangeBatch[] Batches { get; init; }

    /// <summary>The version of the ring the client routed the batch with.</summary>
    [Id(1)]
    public long RingVersion { get; init; }

    /// <summary>When set, the request is replication (and <see cref="Batches"/> is empty): one batch per range.</summary>
    [Id(2)]
    public ReplicationBatch[]? Replication { get; init; }

    /// <summary>
    /// When set, the request is a ring watch (and <see cref="Batches"/> is empty): the silo answers its ring once it knows
    /// one newer than this version (it watches the overlord from inside the cluster), or after
    /// <see cref="RingCache.WatchFor"/> the newest it has. A client whose Orleans gateway paused or was cut off learns the
    /// ring this way from any silo it reaches.
    /// </summary>
    [Id(3)]
    public long? RingAfter { get; init; }

    /// <summary>
    /// When set, the request is the overlord's health probe (and nothing else is set): the silo answers at once, from the
    /// connection's thread, with the longest its process was lately kept from running (<see cref="DataPortAnswer.Stall"/>).
    /// </summary>
    [Id(4)]
    public bool Ping { get; init; }

    /// <summary>
    /// With <see cref="Ping"/>: the silo the overlord probing runs on, and its lease's term. The probed silo takes it as
    /// the overlord's place when the term is newer than the one it last read, so after a takeover every silo the new
    /// overlord probes sends its calls there from the first round, not from its next read of the lease.
    /// </summary>
    [Id(5)]
    public SiloAddress? Overlord { get; init; }

    /// <summary>The term of <see cref="Overlord"/>'s lease.</summary>
    [Id(6)]
    public long OverlordTerm { get; init; }
}

/// <summary>The silo's answer to a <see cref="DataPortRequest"/>: one result per part, or the error the whole request raised.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.DataPortAnswer")]
public sealed record DataPortAnswer
{
    /// <summary>The parts' results, in order, as <see cref="ISiloBatchService.ExecuteAsync"/> answers them.</summary>
    [Id(0)]
    public RangeBatchResult[]? Results { get; init; }

    /// <summary>Set instead of <see cref="Results"/> when the batch as a whole failed.</summary>
    [Id(1)]
    public Exception? Error { get; init; }

    /// <summary>The acknowledgements of a replication request, one per batch, in order.</summary>
    [Id(2)]
    public ReplicationAnswer[]? Replicated { get; init; }

    /// <summary>
    /// The answer to a ring watch (<see cref="DataPortRequest.RingAfter"/>): the silo's newest ring, if it has one, as what
    /// changed since the version watched when the silo still has that version.
    /// </summary>
    [Id(3)]
    public RingUpdate? Ring { get; init; }

    /// <summary>The answer to a probe (<see cref="DataPortRequest.Ping"/>): the silo's longest recent stall.</summary>
    [Id(4)]
    public TimeSpan? Stall { get; init; }
}
