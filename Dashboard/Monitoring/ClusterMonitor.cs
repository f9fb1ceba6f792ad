using System.Collections.Immutable;
using System.Globalization;
using DiMint.Client;
using DiMint.Dashboard.Hosting;

namespace DiMint.Dashboard.Monitoring;

/// <summary>
/// Samples the cluster in the background: membership and each silo's load counters (which also tell whether the silo
/// answers) on one loop, the overlord's status (ring, keys, bytes) on another, so a slow status never delays noticing a
/// silo that stopped answering; the ring operations are read with the status. The page and <c>/metrics</c> read the
/// latest <see cref="Current"/>.
/// </summary>
internal sealed partial class ClusterMonitor(
    IClusterClient cluster,
    DimintClient client,
    DashboardHostOptions options,
    TimeProvider time,
    ILogger<ClusterMonitor> logger) : BackgroundService
{
    private const int HistoryLength = 120;
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<SiloAddress, LoadTrack> _loads = [];
    private readonly LinkedList<LoadSample> _history = new();
    private Dictionary<SiloAddress, SiloStatus> _membership = [];
    private ClusterStatus? _status;
    private ImmutableArray<RingOperationInfo> _operations = [];
    private string? _loadError = "Not sampled yet.";
    private string? _statusError;
    private ClusterView? _current;

    /// <summary>The latest view (an empty, unconnected one before the first sample).</summary>
    public ClusterView Current
    {
        get
        {
            lock (_lock)
            {
                return _current ??= Compose();
            }
        }
    }

    /// <summary>The latest raw counters per silo address, for <c>/metrics</c>.</summary>
    public IReadOnlyDictionary<string, SiloLoad> LatestLoads
    {
        get
        {
            lock (_lock)
            {
                return _loads.Where(p => p.Value.Last is not null).ToDictionary(p => p.Key.ToParsableString(), p => p.Value.Last!);
            }
        }
    }

    /// <summary>Ops/s, latency and CPU per silo over the last samples, oldest first.</summary>
    public IReadOnlyList<LoadSample> History
    {
        get
        {
            lock (_lock)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>Time without an answer after which a silo counts as down.</summary>
    private TimeSpan UpWindow => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(3).Ticks, options.RefreshInterval.Ticks * 3));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(LoopAsync(SampleLoadAsync, stoppingToken), LoopAsync(SampleStatusAsync, stoppingToken));

    private async Task LoopAsync(Func<CancellationToken, Task> sample, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RefreshInterval, time);
        try
        {
            do
            {
                await sample(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SampleLoadAsync(CancellationToken cancellationToken)
    {
        Dictionary<SiloAddress, SiloStatus>? membership = null;
        string? error = null;
        try
        {
            membership = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(MembershipTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = $"Membership not read: {ex.Message}";
            LogSampleFailed(logger, "membership", ex.Message);
        }

        SiloAddress[] active;
        lock (_lock)
        {
            membership ??= _membership;
            active = [.. membership.Where(p => p.Value == SiloStatus.Active).Select(p => p.Key)];
        }

        var loads = await Task.WhenAll(active.Select(silo => TryGetLoadAsync(silo, cancellationToken)));
        var now = time.GetUtcNow();
        lock (_lock)
        {
            _membership = membership;
            _loadError = error;
            for (var i = 0; i < active.Length; i++)
            {
                if (loads[i] is { } load)
                {
                    var track = _loads.TryGetValue(active[i], out var t) ? t : _loads[active[i]] = new LoadTrack();
                    track.Previous = track.Last;
                    track.Last = load;
                    track.AnsweredAt = now;
                }
            }

            foreach (var gone in _loads.Keys.Where(k => !membership.ContainsKey(k)).ToArray())
            {
                _loads.Remove(gone);
            }

            _current = Compose();
            _history.AddLast(new LoadSample
            {
                At = now,
                Silos = _current.Silos.Where(s => s.Up).ToDictionary(
                    s => s.Address, s => new SiloLoadPoint(s.OpsPerSecond, s.LatencyP50Ms, s.LatencyP99Ms, s.CpuPercent)),
            });
            while (_history.Count > HistoryLength)
            {
                _history.RemoveFirst();
            }
        }
    }

    private async Task SampleStatusAsync(CancellationToken cancellationToken)
    {
        var operations = TryGetOperationsAsync(cancellationToken);
        try
        {
            var status = await client.GetClusterStatusAsync(cancellationToken).WaitAsync(StatusTimeout, cancellationToken);
            var ops = await operations;
            lock (_lock)
            {
                _status = status;
                _operations = ops ?? _operations;
                _statusError = null;
                _current = Compose();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSampleFailed(logger, "status", ex.Message);
            lock (_lock)
            {
                _statusError = $"Cluster status not read: {ex.Message}";
                _current = Compose();
            }
        }
    }

    /// <summary>The overlord's operations, or null (keep the last ones) when it did not answer. Never throws.</summary>
    private async Task<ImmutableArray<RingOperationInfo>?> TryGetOperationsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetOperationsAsync(cancellationToken).WaitAsync(StatusTimeout, cancellationToken);
        }
        catch (Exception ex)
        {
            LogSampleFailed(logger, "operations", ex.Message);
            return null;
        }
    }

    private async Task<SiloLoad?> TryGetLoadAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.GetGrain<ISiloMetricsGrain>(silo.ToParsableString()).GetLoadAsync().WaitAsync(LoadTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSampleFailed(logger, silo.ToString(), ex.Message);
            return null;
        }
    }

    private ClusterView Compose()
    {
        var now = time.GetUtcNow();
        var status = _status;
        var statusSilos = status?.Silos.ToDictionary(s => s.Address) ?? [];
        var ranges = status?.Ranges ?? [];
        var addresses = _membership.Keys.Union(statusSilos.Keys)
            .OrderBy(a => a.Endpoint.ToString(), StringComparer.Ordinal)
            .ThenBy(a => a.Generation)
            .ToArray();

        var silos = ImmutableArray.CreateBuilder<SiloView>(addresses.Length);
        foreach (var address in addresses)
        {
            var membership = _membership.TryGetValue(address, out var m) ? m.ToString() : statusSilos[address].MembershipStatus;
            statusSilos.TryGetValue(address, out var node);
            _loads.TryGetValue(address, out var track);
            var up = membership == nameof(SiloStatus.Active) && track?.AnsweredAt is { } answered && now - answered <= UpWindow;
            var rates = up && track!.Previous is { } previous ? LoadRates.Between(previous, track.Last!) : default;
            silos.Add(new SiloView
            {
                Address = address.ToParsableString(),
                Endpoint = address.Endpoint.ToString(),
                Up = up,
                Membership = membership,
                Overlord = address.Equals(status?.Overlord) ? "leader" : status?.OverlordStandbys.Contains(address) == true ? "standby" : null,
                Gateway = node?.Gateway,
                ProcessId = node is { ProcessId: > 0 } ? node.ProcessId : null,
                StartedAt = node?.StartedAt,
                UptimeSeconds = up && node?.StartedAt is { } started ? Math.Max(0, (now - started).TotalSeconds) : null,
                CpuPercent = rates.CpuPercent,
                MemoryBytes = node?.ProcessMemoryBytes ?? 0,
                HeapBytes = node?.ManagedHeapBytes ?? 0,
                MasterRanges = ranges.Count(r => r.Range.Master.Equals(address)),
                ReplicaRanges = ranges.Count(r => r.Range.Replicas.Contains(address)),
                Keys = node?.Keys ?? 0,
                Bytes = node?.Bytes ?? 0,
                ReadsPerSecond = rates.Reads,
                WritesPerSecond = rates.Writes,
                LatencyP50Ms = rates.P50Ms,
                LatencyP99Ms = rates.P99Ms,
                TotalReads = track?.Last?.Reads ?? 0,
                TotalWrites = track?.Last?.Writes ?? 0,
            });
        }

        return new ClusterView
        {
            GeneratedAt = now,
            Connected = _loadError is null && _statusError is null,
            Error = _loadError ?? _statusError,
            RingVersion = status?.RingVersion ?? -1,
            Silos = silos.ToImmutable(),
            Ranges = [.. ranges.Select(ToView)],
            Operations = [.. _operations.Select(op => OperationView.From(op, now))],
            AdminEnabled = options.AdminToken is not null,
        };
    }

    private static RangeView ToView(RangeStatusInfo info)
    {
        var range = info.Range;
        const double RingSize = 18446744073709551616.0;
        return new RangeView
        {
            Id = range.Id,
            Start = string.Create(CultureInfo.InvariantCulture, $"0x{range.Start:x16}"),
            End = range.End == 0 ? "2^64" : string.Create(CultureInfo.InvariantCulture, $"0x{range.End:x16}"),
            StartFraction = range.Start / RingSize,
            EndFraction = range.End == 0 ? 1.0 : range.End / RingSize,
            Master = range.Master.ToParsableString(),
            Replicas = [.. range.Replicas.Select(r => r.ToParsableString())],
            Epoch = range.Epoch,
            Keys = info.Keys,
            Bytes = info.Bytes,
            ReplicaLag = info.ReplicaLag,
            ReplicasInSync = info.ReplicasInSync,
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sampling {Source} failed: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string source, string reason);

    private sealed class LoadTrack
    {
        public SiloLoad? Last { get; set; }

        public SiloLoad? Previous { get; set; }

        public DateTimeOffset? AnsweredAt { get; set; }
    }
}
