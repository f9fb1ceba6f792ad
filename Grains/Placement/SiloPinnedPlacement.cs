namespace DiMint.Grains.Placement;

/// <summary>
/// Places a grain on the silo its key names: the part after the key's last '/' is a
/// <see cref="SiloAddress"/> in parsable form. Range grains and silo agents use it, so the overlord decides where
/// each range lives and no directory lookup can put it elsewhere.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    internal static SiloPinnedPlacement Instance { get; } = new();
}
