using Orleans.GrainDirectory;

namespace DiMint.Grains.Placement;

/// <summary>
/// The grain directory of silo-pinned grains (range masters, replicas, silo agents): their key names their silo, so
/// where an activation lives is computed from the key and nothing is stored or asked of another silo. With Orleans'
/// distributed directory, a grain whose directory entry lived on a silo that just died could neither be found nor
/// activated until Orleans declared that silo dead (5-10 s): a promoted master waited that long after its promotion was
/// published. Orleans still keeps one activation per grain on a silo; the key's placement keeps it on its silo.
/// </summary>
internal sealed class SiloPinnedGrainDirectory : IGrainDirectory
{
    /// <summary>The directory's name, for <see cref="GrainDirectoryAttribute"/> on the pinned grain classes.</summary>
    public const string Name = "dimint-silo-pinned";

    public Task<GrainAddress?> Lookup(GrainId grainId) => Task.FromResult<GrainAddress?>(Pinned(grainId));

    /// <summary>
    /// Accepts an activation on its own silo as it is; one anywhere else is answered with the silo its key names, so
    /// Orleans treats it as a duplicate and sends its messages there.
    /// </summary>
    public Task<GrainAddress?> Register(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pinned = Pinned(address.GrainId);
        return Task.FromResult<GrainAddress?>(pinned.SiloAddress!.Equals(address.SiloAddress) ? address : pinned);
    }

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;

    private static GrainAddress Pinned(GrainId grainId) =>
        new() { GrainId = grainId, SiloAddress = SiloPinnedPlacementDirector.SiloOf(grainId.Key.ToString()!) };
}
