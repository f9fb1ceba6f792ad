using DiMint.Grains.Overlord;
using Orleans.GrainDirectory;

namespace DiMint.Grains.Placement;

/// <summary>
/// The overlord's grain directory: the overlord lives on the silo that holds its lease (<see cref="OverlordElection"/>),
/// as this silo last read it, so nothing is stored or asked of another silo. With Orleans' distributed directory, the
/// overlord could not start elsewhere until Orleans declared the silo holding its entry dead (5-10 s). An activation
/// anywhere else is answered with the leader's address, so Orleans treats it as a duplicate and sends its messages there.
/// </summary>
internal sealed class OverlordDirectory(OverlordElection election) : IGrainDirectory
{
    /// <summary>The directory's name, for <see cref="GrainDirectoryAttribute"/> on the overlord.</summary>
    public const string Name = "dimint-overlord";

    public Task<GrainAddress?> Lookup(GrainId grainId) =>
        Task.FromResult(election.Leader is { } leader ? new GrainAddress { GrainId = grainId, SiloAddress = leader } : null);

    public Task<GrainAddress?> Register(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Task.FromResult<GrainAddress?>(election.Leader is { } leader && !leader.Equals(address.SiloAddress)
            ? new GrainAddress { GrainId = address.GrainId, SiloAddress = leader }
            : address);
    }

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
