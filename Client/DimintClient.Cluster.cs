namespace DiMint.Client;

public sealed partial class DimintClient
{
    /// <summary>Per silo: address, up or down, ranges held, keys, bytes and process memory.</summary>
    public async Task<IReadOnlyList<NodeStatus>> GetNodeStatusAsync(CancellationToken cancellationToken = default) =>
        (await GetClusterStatusAsync(cancellationToken)).Silos;

    /// <summary>Silos and ranges, with what each holds.</summary>
    public Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default) =>
        Overlord.GetStatusAsync().WaitAsync(cancellationToken);

    /// <summary>The ring as this client routes with it, or (with <paramref name="refresh"/>) as the overlord has it now.</summary>
    public async Task<Ring> GetRingAsync(bool refresh = false, CancellationToken cancellationToken = default) =>
        !refresh && _ring.Current is { } ring ? ring : await _ring.RefreshAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Splits a range in two, at <paramref name="at"/> (the upper half starts there) or, by default, where the range's
    /// bytes divide in half. Clients keep working: requests routed with the old ring are redirected.
    /// </summary>
    /// <returns>The new ring.</returns>
    /// <exception cref="RingOperationException">Unknown range, or a split point outside it; nothing changed.</exception>
    public async Task<Ring> SplitRangeAsync(int rangeId, ulong? at = null, CancellationToken cancellationToken = default)
    {
        var ring = await Overlord.SplitAsync(rangeId, at).WaitAsync(cancellationToken);
        _ring.Offer(ring);
        return ring;
    }

    private IOverlordGrain Overlord => _grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord);
}
