namespace DiMint.Faults.Cluster;

/// <summary>The shape of a <see cref="FaultCluster"/>.</summary>
public sealed class FaultClusterOptions
{
    /// <summary>Silo hosts. Default 5.</summary>
    public int Silos { get; init; } = 5;

    /// <summary>ZooKeeper servers (1 = standalone). Default 3.</summary>
    public int ZooKeepers { get; init; } = 3;

    /// <summary>Client hosts. Default 2.</summary>
    public int Clients { get; init; } = 2;

    /// <summary>Ranges per silo when the ring is created. Default 4.</summary>
    public int RangesPerSilo { get; init; } = 4;

    /// <summary>The silos' replication factor (<c>--replication-factor</c>). Default 3.</summary>
    public int ReplicationFactor { get; init; } = 3;

    /// <summary>More arguments for every silo.</summary>
    public IReadOnlyList<string> SiloArguments { get; init; } = [];
}
