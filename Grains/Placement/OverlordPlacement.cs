using DiMint.Grains.Overlord;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace DiMint.Grains.Placement;

/// <summary>Places the overlord on the silo that holds its lease (<see cref="OverlordElection"/>).</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class OverlordPlacement : PlacementStrategy
{
    internal static OverlordPlacement Instance { get; } = new();
}

/// <summary>Marks the overlord's grain class for <see cref="OverlordPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OverlordPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public OverlordPlacementAttribute()
        : base(OverlordPlacement.Instance)
    {
    }
}

/// <summary>Puts the overlord on the lease's holder, once one is known and active.</summary>
internal sealed class OverlordPlacementDirector(OverlordElection election) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        if (election.Leader is { } leader && context.GetCompatibleSilos(target).Contains(leader))
        {
            return Task.FromResult(leader);
        }

        throw new SiloUnavailableException($"No silo leads as the overlord yet (lease holder: {election.Leader?.ToString() ?? "none"}).");
    }
}
