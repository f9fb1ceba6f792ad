namespace DiMint;

/// <summary>A request carried a ring version newer than any the cluster has published.</summary>
[GenerateSerializer]
public sealed class RingVersionException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public RingVersionException(long requested, long current)
        : base(DiMintErrorCode.RingVersionFromFuture, $"Ring version {requested} is newer than the cluster's ring version {current}.")
    {
        Requested = requested;
        Current = current;
    }

    /// <summary>The version the request carried.</summary>
    [Id(0)]
    public long Requested { get; private set; }

    /// <summary>The newest version the cluster knows.</summary>
    [Id(1)]
    public long Current { get; private set; }
}
