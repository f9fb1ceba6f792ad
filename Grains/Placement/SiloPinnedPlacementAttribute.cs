using Orleans.Placement;

namespace DiMint.Grains.Placement;

/// <summary>Marks a grain class for <see cref="SiloPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public SiloPinnedPlacementAttribute()
        : base(SiloPinnedPlacement.Instance)
    {
    }
}
