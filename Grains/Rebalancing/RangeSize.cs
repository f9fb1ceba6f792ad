namespace DiMint.Grains.Rebalancing;

/// <summary>What a range's master holds.</summary>
public readonly record struct RangeSize(long Keys, long Bytes);
