namespace DiMint.Grains.Hosting;

/// <summary>How the overlord shapes the ring (section <c>DiMint:Ring</c>).</summary>
public sealed class RingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Ring";

    /// <summary>Ranges per active silo when the ring is first created. Default 8.</summary>
    public int InitialRangesPerSilo { get; set; } = 8;
}
