namespace DiMint.Grains.Overlord;

/// <summary>What the overlord persists: the ring (null until the cluster first serves).</summary>
[GenerateSerializer, Alias("DiMint.RingState")]
public sealed class RingState
{
    /// <summary>The current ring.</summary>
    [Id(0)]
    public Ring? Ring { get; set; }
}
