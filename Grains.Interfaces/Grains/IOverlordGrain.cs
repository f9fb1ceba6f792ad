using Orleans.Concurrency;

namespace DiMint;

/// <summary>
/// Owns the ring: creates it when the cluster first serves, places ranges on silos, changes it (splits),
/// and serves it to clients and silos. Never on the per-request data path. There is one, with key 0.
/// </summary>
[Alias("DiMint.IOverlordGrain")]
public interface IOverlordGrain : IGrainWithIntegerKey
{
    /// <summary>The current ring, created over the active silos on first use.</summary>
    [Alias("GetRing")]
    [AlwaysInterleave]
    Task<Ring> GetRingAsync();

    /// <summary>Silos, ranges and what each holds.</summary>
    [Alias("GetStatus")]
    Task<ClusterStatus> GetStatusAsync();

    /// <summary>
    /// Splits a range in two at <paramref name="at"/> (the new upper range starts there), or by default at the hash that
    /// divides the range's bytes in half. Returns the new ring.
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range, or a split point outside it.</exception>
    [Alias("Split")]
    Task<Ring> SplitAsync(int rangeId, ulong? at);
}
