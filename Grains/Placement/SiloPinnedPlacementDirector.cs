using Orleans.Runtime.Placement;

namespace DiMint.Grains.Placement;

/// <summary>Places a grain on the silo named at the end of its key, if that silo is an active member.</summary>
internal sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silo = SiloOf(target.GrainIdentity.Key.ToString()!);
        foreach (var candidate in context.GetCompatibleSilos(target))
        {
            if (candidate.Equals(silo))
            {
                return Task.FromResult(candidate);
            }
        }

        throw new SiloUnavailableException($"Silo {silo} named by grain {target.GrainIdentity} is not an active member of the cluster.");
    }

    /// <summary>The silo named by a pinned grain's key.</summary>
    public static SiloAddress SiloOf(string grainKey) =>
        SiloAddress.FromParsableString(grainKey[(grainKey.LastIndexOf('/') + 1)..]);
}
