namespace DiMint.Grains.Hosting;

/// <summary>Size limits the silos enforce (section <c>DiMint:Limits</c>); clients check the same before sending.</summary>
public sealed class DiMintLimitsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Limits";

    /// <summary>Largest key, in UTF-8 bytes. Default 16 KiB.</summary>
    public int MaxKeyBytes { get; set; } = 16 * 1024;

    /// <summary>Largest encoded value, in bytes. Default 16 MiB.</summary>
    public int MaxValueBytes { get; set; } = 16 * 1024 * 1024;
}
