namespace DiMint.Grains.Hosting;

/// <summary>Names of the grain storage providers DiMint uses.</summary>
public static class DiMintStorage
{
    /// <summary>Where the overlord keeps the ring; its ETag is the compare-and-swap token.</summary>
    public const string Ring = "DiMintRing";
}
