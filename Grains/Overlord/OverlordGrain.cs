using System.Collections.Immutable;
using DiMint.Grains.Hosting;
using DiMint.Grains.Placement;
using DiMint.Grains.Ranges;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.GrainDirectory;
using Orleans.Runtime;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Owns the ring: creates it over the active silos on first use, persists every change through the
/// <see cref="DiMintStorage.Ring"/> storage (whose ETag makes each write a compare-and-swap), and serves it.
/// </summary>
[KeepAlive]
[GrainType(TypeName)]
[OverlordPlacement]
[GrainDirectory(OverlordDirectory.Name)]
internal sealed partial class OverlordGrain(
    [PersistentState("ring", DiMintStorage.Ring)] IPersistentState<RingState> state,
    IClusterMembershipService membership,
    OverlordElection election,
    RingCache ringCache,
    IOptions<RingOptions> options,
    IOptions<ReplicationOptions> replication,
    IOptions<RebalanceOptions> rebalance,
    PauseMeter pauses,
    DataPorts dataPorts,
    TimeProvider time,
    ILogger<OverlordGrain> logger) : Grain, IOverlordGrain
{
    /// <summary>The overlord's grain type (its stored ring is kept under it: Orleans' default name for this class, kept).</summary>
    public const string TypeName = "overlord";

    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The longest a watch (<see cref="WatchRingAsync"/>) is held, well inside Orleans' response timeout.</summary>
    private static readonly TimeSpan MaxWatch = TimeSpan.FromSeconds(5);
    private Task<Ring>? _bootstrap;
    private Task? _wake;

    /// <summary>The ring, once this activation has loaded (and if needed repaired or created) it.</summary>
    private Ring? _ring;

    /// <summary>
    /// How many times this activation took a ring another overlord published (<see cref="TryReloadAsync"/>). That
    /// overlord may have resolved the fences of this one's operations (<see cref="ResolveFenceAsync"/>, which rolls them
    /// back on the masters): an operation fenced before it may not publish its ring switch. Like every field of the
    /// grain, touched only in its turns: no lock.
    /// </summary>
    private long _ringsTakenFromOthers;

    public Task<Ring> GetRingAsync()
    {
        if (_ring is { } ring)
        {
            return Task.FromResult(ring);
        }

        // GetRingAsync interleaves: concurrent first callers share one load.
        return _bootstrap ??= LoadAsync();
    }

    public async Task<RingUpdate> GetRingSinceAsync(long known) => ringCache.UpdateFor(await GetRingAsync(), known);

    public async Task<RingUpdate> WatchRingAsync(long version, TimeSpan wait)
    {
        var ring = await GetRingAsync();
        if (ring.Version <= version)
        {
            // Published rings reach this silo's cache right after _ring: the wait ends the moment one passes the version.
            await ringCache.WaitForNewerAsync(version, wait < MaxWatch ? wait : MaxWatch);
        }

        // Every ring this overlord published went through this silo's cache, which keeps the last few to send deltas from.
        return ringCache.UpdateFor(_ring ?? ring, version);
    }

    public Task WakeAsync()
    {
        if (_ring is not null)
        {
            return Task.CompletedTask;
        }

        // One read of the stored ring at a time: a late read would bring back an older compare-and-swap token.
        return _bootstrap ?? (_wake ??= LoadStoredAsync());

        async Task LoadStoredAsync()
        {
            try
            {
                await state.ReadStateAsync();
                if (_ring is null && state.State.Ring is { } stored)
                {
                    _ring = stored;
                    ringCache.Offer(stored);
                }
            }
            finally
            {
                _wake = null;
            }
        }
    }

    public async Task<ClusterStatus> GetStatusAsync()
    {
        var ring = await GetRingAsync();
        var members = membership.CurrentSnapshot.Members.Values
            .OrderBy(m => m.SiloAddress.ToParsableString(), StringComparer.Ordinal)
            .ToArray();

        var stats = await Task.WhenAll(members.Select(m => m.Status == Orleans.Runtime.SiloStatus.Active
            ? TryGetStatsAsync(m.SiloAddress)
            : Task.FromResult<SiloStats?>(null)));

        var rangeStats = new Dictionary<int, RangeStats>();
        var nodes = ImmutableArray.CreateBuilder<NodeStatus>(members.Length);
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[i];
            var silo = stats[i];
            var masters = ring.Ranges.Count(r => r.Master.Equals(member.SiloAddress));
            long keys = 0, bytes = 0;
            foreach (var range in silo?.Ranges ?? [])
            {
                if (!IsMastersCopy(ring, range, member.SiloAddress))
                {
                    continue;
                }

                rangeStats[range.RangeId] = range;
                keys += range.Keys;
                bytes += range.Bytes;
            }

            nodes.Add(new NodeStatus
            {
                Address = member.SiloAddress,
                IsUp = silo is not null,
                MembershipStatus = member.Status.ToString(),
                MasterRanges = masters,
                Keys = keys,
                Bytes = bytes,
                ProcessMemoryBytes = silo?.ProcessMemoryBytes ?? 0,
                ManagedHeapBytes = silo?.ManagedHeapBytes ?? 0,
                StartedAt = silo?.StartedAt,
                Gateway = silo?.Gateway,
                ProcessId = silo?.ProcessId ?? 0,
                CopiesHeld = silo?.Ranges.Length ?? 0,
                DataPortConnections = silo?.DataPortConnections ?? 0,
                DataPortClientBatches = silo?.DataPortClientBatches ?? 0,
                DataPortRefused = silo?.DataPortRefused ?? 0,
            });
        }

        // A range its (answering) master silo does not list at all has never been used: it is empty. One it lists, but not
        // as this ring's master copy, is changing hands (split, merged or moved since the ring was read): not known.
        var answered = members.Where((_, i) => stats[i] is not null).Select(m => m.SiloAddress).ToHashSet();
        var listed = members.SelectMany((m, i) => (stats[i]?.Ranges ?? []).Select(r => (m.SiloAddress, r.RangeId))).ToHashSet();
        var ranges = ring.Ranges.Select(r => rangeStats.TryGetValue(r.Id, out var s)
            ? new RangeStatusInfo { Range = r, Keys = s.Keys, ExpiringKeys = s.ExpiringKeys, Bytes = s.Bytes, AppliedSeq = s.AppliedSeq, ReplicaLag = r.Replicas.IsEmpty ? 0 : s.ReplicaLag, ReplicasInSync = s.ReplicasInSync }
            : answered.Contains(r.Master) && !listed.Contains((r.Master, r.Id))
                ? new RangeStatusInfo { Range = r, Keys = 0, Bytes = 0, ReplicaLag = 0, ReplicasInSync = r.Replicas.Length }
                : new RangeStatusInfo { Range = r, Keys = -1, Bytes = -1 }).ToImmutableArray();
        return new ClusterStatus
        {
            RingVersion = ring.Version,
            Silos = nodes.ToImmutable(),
            Ranges = ranges,
            Overlord = GrainContext.Address.SiloAddress,
            OverlordTerm = election.Term,
            OverlordStandbys = [.. nodes.Where(n => n.IsUp && !n.Address.Equals(GrainContext.Address.SiloAddress)).Select(n => n.Address)],
        };
    }

    /// <summary>
    /// Whether <paramref name="range"/>, reported by <paramref name="silo"/>, is the copy of the master the ring names: a
    /// silo may still hold the master copy of an earlier epoch (until <see cref="SweepStaleCopies"/>), whose figures are frozen.
    /// </summary>
    private static bool IsMastersCopy(Ring ring, RangeStats range, SiloAddress silo) =>
        range.IsMaster && ring.FindById(range.RangeId) is { } current && current.Master.Equals(silo);

    private async Task<SiloStats?> TryGetStatsAsync(SiloAddress silo)
    {
        try
        {
            return await GrainFactory.GetGrain<ISiloAgentGrain>(silo.ToParsableString()).GetStatsAsync().WaitAsync(StatsTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            LogStatsFailed(logger, silo.ToString(), ex.Message);
            return null;
        }
    }

    private async Task<Ring> LoadAsync()
    {
        try
        {
            if (_wake is { } waking)
            {
                await waking;
            }

            if (_ring is { } loaded)
            {
                return loaded;
            }

            await state.ReadStateAsync();
            var silos = ActiveSilos();
            if (state.State.Ring is { } stored)
            {
                // Ranges whose silos are gone (a silo died with this overlord, or the whole cluster restarted) are left
                // to the health check: it promotes their replicas where there are any, like any failover.
                _ring = stored;
                ringCache.Offer(stored);
                return stored;
            }

            // No ring stored: a new cluster, unless the silos hold copies, when the storage lost it (Orleans' in-memory
            // storage went with its silo). An empty ring would hide their data for good: refuse, and say why.
            var held = (await Task.WhenAll(silos.Select(TryGetStatsAsync))).Sum(s => s?.Ranges.Length ?? 0);
            if (held > 0)
            {
                LogRingLost(logger, held);
                throw new ClusterUnavailableException(
                    $"The stored ring is gone, but the silos hold {held} range copies: an empty ring would hide their data, so none is created. " +
                    "Keep the ring where it outlives a silo: ZooKeeper (--zookeeper), or files for a local cluster (--ring-dir; dimint up sets it).");
            }

            var ring = RingPlanner.Create(silos, silos.Length * options.Value.InitialRangesPerSilo, replication.Value.ReplicationFactor);
            await PublishAsync(ring);
            LogBootstrapped(logger, ring.Ranges.Length, silos.Length);

            // The next health check starts every master, which gives its replicas their (empty) copies at once.
            foreach (var range in ring.Ranges)
            {
                _unconfigured.Add(range.Id);
            }

            return ring;
        }
        finally
        {
            _bootstrap = null;
        }
    }

    private SiloAddress[] ActiveSilos() => membership.CurrentSnapshot.Members.Values
        .Where(m => m.Status == Orleans.Runtime.SiloStatus.Active)
        .Select(m => m.SiloAddress)
        .ToArray();

    private async Task PublishAsync(Ring ring)
    {
        var previous = state.State.Ring;
        state.State.Ring = ring;
        try
        {
            // The storage ETag makes this a compare-and-swap: a second overlord activation cannot overwrite a newer ring.
            await state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            state.State.Ring = previous;
            LogPublishFailed(logger, ring.Version, ex.Message);

            // Another activation may have published meanwhile (its compare-and-swap won): take the ring it stored.
            await TryReloadAsync();
            throw;
        }

        _ring = ring;
        ringCache.Offer(ring);
    }

    /// <summary>
    /// Re-reads the stored ring and takes it when it is newer than this activation's (another activation of the overlord
    /// published it: on the other side of a partition, or while this one's silo was thought dead). Callers hold
    /// <c>_ringGate</c> or publish under it, so no read overtakes a write.
    /// </summary>
    private async Task TryReloadAsync()
    {
        try
        {
            await state.ReadStateAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReloadFailed(logger, ex.Message);
            return;
        }

        if (state.State.Ring is { } stored && (_ring is null || stored.Version > _ring.Version))
        {
            LogStaleRing(logger, _ring?.Version ?? 0, stored.Version);
            if (_ring is { } mine)
            {
                MarkChanged(mine, stored);
                _ringsTakenFromOthers++;
            }

            _ring = stored;
            ringCache.Offer(stored);
        }
    }

    public async Task<Ring> ReloadRingAsync()
    {
        await GetRingAsync();
        await _ringGate.WaitAsync();
        try
        {
            await TryReloadAsync();
            return _ring!;
        }
        finally
        {
            _ringGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The stored ring is gone while the silos hold {Copies} range copies; no new ring is created (it would hide their data)")]
    private static partial void LogRingLost(ILogger logger, int copies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ring version {Version} was not published: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored ring could not be read: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This overlord held ring version {Held}, but version {Stored} is stored (another overlord published it); taking it")]
    private static partial void LogStaleRing(ILogger logger, long held, long stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ring created: {RangeCount} ranges over {SiloCount} silos")]
    private static partial void LogBootstrapped(ILogger logger, int rangeCount, int siloCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} did not report its stats: {Reason}")]
    private static partial void LogStatsFailed(ILogger logger, string silo, string reason);
}
