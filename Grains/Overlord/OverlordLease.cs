namespace DiMint.Grains.Overlord;

/// <summary>
/// Which silo leads as the overlord, kept in the ring's storage (ZooKeeper, or the local cluster's files) beside the ring:
/// its ETag makes every renewal and takeover a compare-and-swap (<see cref="OverlordElection"/>).
/// </summary>
[GenerateSerializer, Alias("DiMint.OverlordLease")]
public sealed class OverlordLease
{
    /// <summary>The silo that holds the lease, or null before the first election.</summary>
    [Id(0)]
    public SiloAddress? Holder { get; set; }

    /// <summary>Counts the takeovers: each new holder writes the next term.</summary>
    [Id(1)]
    public long Term { get; set; }
}
