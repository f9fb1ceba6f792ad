namespace DiMint;

/// <summary>No silo of the cluster could be reached.</summary>
[GenerateSerializer]
public sealed class ClusterUnavailableException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public ClusterUnavailableException(string message, Exception? innerException = null)
        : base(DiMintErrorCode.ClusterUnavailable, message, innerException)
    {
    }
}
