using System.Collections.Immutable;
using System.Diagnostics;

namespace DiMint.Client;

public sealed partial class DimintClient
{
    /// <summary>How often <see cref="WaitForOperationAsync"/> asks how an operation is doing.</summary>
    private static readonly TimeSpan OperationPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Per silo: address, up or down, ranges held, keys, bytes and process memory.</summary>
    public async Task<IReadOnlyList<NodeStatus>> GetNodeStatusAsync(CancellationToken cancellationToken = default) =>
        (await GetClusterStatusAsync(cancellationToken)).Silos;

    /// <summary>Silos and ranges, with what each holds (asked as <see cref="AskOverlordAsync"/> says).</summary>
    public Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default) =>
        AskOverlordAsync(() => Overlord.GetStatusAsync(), cancellationToken);

    /// <summary>
    /// The ring as this client routes with it, or (with <paramref name="refresh"/>) as the overlord has it now (asked as
    /// <see cref="AskOverlordAsync"/> says).
    /// </summary>
    public async Task<Ring> GetRingAsync(bool refresh = false, CancellationToken cancellationToken = default) =>
        !refresh && _ring.Current is { } ring ? ring : await AskOverlordAsync(_ring.RefreshAsync, cancellationToken);

    /// <summary>
    /// Asks the overlord. A call it does not answer within <see cref="DimintClientOptions.AttemptTimeout"/> (it went
    /// through a gateway, or to an overlord, whose silo just died: Orleans would hold it for its 30 s response timeout) is
    /// asked again, until <see cref="DimintClientOptions.RequestTimeout"/>.
    /// </summary>
    private async Task<T> AskOverlordAsync<T>(Func<Task<T>> ask, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ask().WaitAsync(_options.AttemptTimeout, cancellationToken);
            }
            catch (Exception ex) when (IsTransient(ex) && Stopwatch.GetElapsedTime(started) < _options.RequestTimeout)
            {
                await Task.Delay(RetryDelayOf(attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Splits a range in two, at <paramref name="at"/> (the upper half starts there) or, by default, where the range's
    /// bytes divide in half, and waits for it. Clients keep working: requests routed with the old ring are redirected.
    /// </summary>
    /// <returns>The new ring.</returns>
    /// <exception cref="RingOperationException">Unknown range, a split point outside it, or the split was rolled back; nothing changed.</exception>
    public async Task<Ring> SplitRangeAsync(int rangeId, ulong? at = null, CancellationToken cancellationToken = default)
    {
        var operation = await StartSplitAsync(rangeId, at, cancellationToken);
        await WaitForOperationAsync(operation.Id, progress: null, cancellationToken);
        return await GetRingAsync(refresh: true, cancellationToken);
    }

    /// <summary>Starts splitting a range (see <see cref="SplitRangeAsync"/>); follow it with <see cref="WaitForOperationAsync"/>.</summary>
    /// <exception cref="RingOperationException">Unknown range, a split point outside it, or the range is busy; nothing changed.</exception>
    public Task<RingOperationInfo> StartSplitAsync(int rangeId, ulong? at = null, CancellationToken cancellationToken = default) =>
        Overlord.StartSplitAsync(rangeId, at).WaitAsync(cancellationToken);

    /// <summary>Starts merging two adjacent ranges into one, on the first range's silos.</summary>
    /// <exception cref="RingOperationException">Unknown ranges, ranges that are not adjacent, or a range is busy; nothing changed.</exception>
    public Task<RingOperationInfo> StartMergeAsync(int rangeId, int otherRangeId, CancellationToken cancellationToken = default) =>
        Overlord.StartMergeAsync(rangeId, otherRangeId).WaitAsync(cancellationToken);

    /// <summary>
    /// Starts moving a range's master to <paramref name="target"/>, or with <paramref name="replica"/> one of its replicas
    /// (the one on <paramref name="from"/>, or by default the one on the busiest silo).
    /// </summary>
    /// <exception cref="RingOperationException">Unknown range or silo, a target that already holds that role, or the range is busy; nothing changed.</exception>
    public Task<RingOperationInfo> StartMoveAsync(int rangeId, SiloAddress target, bool replica = false, SiloAddress? from = null, CancellationToken cancellationToken = default) =>
        Overlord.StartMoveAsync(rangeId, target, replica, from).WaitAsync(cancellationToken);

    /// <summary>Starts moving every master and replica off <paramref name="silo"/>, after which it can stop with nothing lost.</summary>
    /// <exception cref="RingOperationException">Unknown silo, or the last one; nothing changed.</exception>
    public Task<RingOperationInfo> StartDrainAsync(SiloAddress silo, CancellationToken cancellationToken = default) =>
        Overlord.StartDrainAsync(silo).WaitAsync(cancellationToken);

    /// <summary>Runs the balancing policy now: the operations it starts, or with <paramref name="dryRun"/> would start.</summary>
    public Task<ImmutableArray<RingOperationInfo>> RebalanceAsync(bool dryRun = false, CancellationToken cancellationToken = default) =>
        Overlord.RebalanceAsync(dryRun).WaitAsync(cancellationToken);

    /// <summary>Ring operations under way, then the most recent finished ones.</summary>
    public Task<ImmutableArray<RingOperationInfo>> GetOperationsAsync(CancellationToken cancellationToken = default) =>
        AskOverlordAsync(() => Overlord.GetOperationsAsync(), cancellationToken);

    /// <summary>One ring operation, or null when the overlord does not know it.</summary>
    public Task<RingOperationInfo?> GetOperationAsync(long operationId, CancellationToken cancellationToken = default) =>
        AskOverlordAsync(() => Overlord.GetOperationAsync(operationId), cancellationToken);

    /// <summary>
    /// Waits until a ring operation finishes, reporting its progress along the way. While the overlord cannot be reached
    /// (its silo died and Orleans has not started it elsewhere yet) it keeps asking, for up to
    /// <see cref="DimintClientOptions.RequestTimeout"/> at a time.
    /// </summary>
    /// <returns>The finished operation (Done).</returns>
    /// <exception cref="RingOperationException">The operation was rolled back (<see cref="DiMintErrorCode.OperationRolledBack"/>: the ring is as before), or the overlord no longer knows it (<see cref="DiMintErrorCode.UnknownOperation"/>).</exception>
    public async Task<RingOperationInfo> WaitForOperationAsync(long operationId, IProgress<RingOperationInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var unreachableSince = 0L;
        while (true)
        {
            RingOperationInfo? found;
            try
            {
                found = await GetOperationAsync(operationId, cancellationToken);
                unreachableSince = 0;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                // The overlord's silo went away: Orleans starts the overlord elsewhere once the silo is declared dead.
                // Keep asking for as long as a request would retry.
                unreachableSince = unreachableSince == 0 ? Stopwatch.GetTimestamp() : unreachableSince;
                if (Stopwatch.GetElapsedTime(unreachableSince) > _options.RequestTimeout)
                {
                    throw;
                }

                await Task.Delay(OperationPoll, cancellationToken);
                continue;
            }

            var operation = found
                ?? throw new RingOperationException(DiMintErrorCode.UnknownOperation, $"Operation {operationId} is not known to the overlord (it may have restarted).");
            progress?.Report(operation);
            if (operation.State == RingOperationState.Done)
            {
                await TryRefreshRingAsync();
                return operation;
            }

            if (operation.State == RingOperationState.RolledBack)
            {
                throw new RingOperationException(DiMintErrorCode.OperationRolledBack, $"Operation {operationId} ({operation.Kind}) was rolled back: {operation.Reason}");
            }

            await Task.Delay(OperationPoll, cancellationToken);
        }
    }

    /// <summary>
    /// The active silo <paramref name="silo"/> names: <c>host:port</c> (its silo port), or the full address as
    /// <c>dimint status</c> shows it.
    /// </summary>
    /// <exception cref="RingOperationException">No active silo matches.</exception>
    public async Task<SiloAddress> ResolveSiloAsync(string silo, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(silo);
        var status = await GetClusterStatusAsync(cancellationToken);
        var text = silo.Trim();
        foreach (var node in status.Silos)
        {
            var address = node.Address;
            if (node.IsUp && (address.ToParsableString() == text || address.ToString() == text
                || $"{address.Endpoint.Address}:{address.Endpoint.Port}" == text
                || (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && System.Net.IPAddress.IsLoopback(address.Endpoint.Address) && text[10..] == address.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            {
                return address;
            }
        }

        throw new RingOperationException(DiMintErrorCode.UnknownSilo, $"No silo that is up matches '{text}'. Silos up: {string.Join(", ", status.Silos.Where(s => s.IsUp).Select(s => $"{s.Address.Endpoint.Address}:{s.Address.Endpoint.Port}"))}.");
    }

    /// <summary>
    /// An operator's recovery of a range that no promotion can serve (too few of its copies answer): its master becomes
    /// the copy on <paramref name="from"/>, which may lack acknowledged writes only unreachable copies hold, or, with
    /// <paramref name="empty"/>, a new empty copy (its data is given up). The overlord logs it as an error.
    /// </summary>
    /// <returns>The range as it is now.</returns>
    /// <exception cref="RingOperationException">Unknown range or silo, no complete copy on the silo, or the range is busy; nothing changed.</exception>
    public async Task<RangeInfo> RecoverRangeAsync(int rangeId, SiloAddress? from, bool empty, CancellationToken cancellationToken = default)
    {
        var range = await Overlord.RecoverRangeAsync(rangeId, from, empty).WaitAsync(cancellationToken);
        await TryRefreshRingAsync();
        return range;
    }

    private IOverlordGrain Overlord => _grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord);
}
