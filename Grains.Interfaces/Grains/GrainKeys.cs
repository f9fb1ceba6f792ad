namespace DiMint;

/// <summary>Well-known grain keys.</summary>
public static class GrainKeys
{
    /// <summary>The key of the one overlord grain.</summary>
    public const long Overlord = 0;
}
