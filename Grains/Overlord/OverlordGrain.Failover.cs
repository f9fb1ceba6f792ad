using DiMint.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Health checks and failover: the overlord probes every silo the ring names; a silo Orleans declares dead, or one
/// that fails the probes for <see cref="ReplicationOptions.FailoverTimeout"/>, loses its ranges to their best
/// replicas (fenced first, so the old master can no longer get writes acknowledged). Then the replication factor is
/// restored on the silos that are up, which also gives replicas to silos that join.
/// </summary>
internal sealed partial class OverlordGrain
{
    private readonly Dictionary<SiloAddress, DateTimeOffset> _suspects = [];
    private readonly HashSet<int> _unconfigured = [];
    private IGrainTimer? _healthTimer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var interval = replication.Value.ProbeInterval;
        _healthTimer = this.RegisterGrainTimer(CheckHealthAsync, new GrainTimerCreationOptions(interval, interval));
        StartBalancing();
        return Task.CompletedTask;
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_ring is not { } ring)
        {
            return;
        }

        var options = replication.Value;
        var members = membership.CurrentSnapshot.Members;
        var named = ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master)).ToHashSet();
        var active = members.Values.Where(m => m.Status == Orleans.Runtime.SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
        var probed = named.Union(active).ToArray();
        var answers = await Task.WhenAll(probed.Select(async silo =>
        {
            if (members.TryGetValue(silo, out var member) && member.Status == Orleans.Runtime.SiloStatus.Dead)
            {
                return (Silo: silo, Up: false, Dead: true);
            }

            try
            {
                await GrainFactory.GetGrain<ISiloAgentGrain>(silo.ToParsableString()).PingAsync().WaitAsync(options.ProbeTimeout, cancellationToken);
                return (Silo: silo, Up: true, Dead: false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return (Silo: silo, Up: false, Dead: !members.ContainsKey(silo) && !active.Contains(silo));
            }
        }));

        var now = time.GetUtcNow();
        var failed = new HashSet<SiloAddress>();
        foreach (var (silo, up, dead) in answers)
        {
            if (up)
            {
                _suspects.Remove(silo);
                continue;
            }

            if (!_suspects.TryGetValue(silo, out var since))
            {
                _suspects[silo] = since = now;
            }

            if (dead || now - since >= options.FailoverTimeout)
            {
                failed.Add(silo);
            }
        }

        _draining.RemoveWhere(s => !active.Contains(s) || failed.Contains(s));
        var live = active.Where(s => !failed.Contains(s) && !_suspects.ContainsKey(s) && !_draining.Contains(s)).ToArray();

        // Ring operations change the ring too: decide on the ring of the moment, inside the gate.
        await _ringGate.WaitAsync(cancellationToken);
        try
        {
            ring = _ring!;
            if (failed.Overlaps(ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master))))
            {
                await FailoverAsync(ring, failed, live);
            }
            else if (RingPlanner.FillReplicas(ring, live, options.ReplicationFactor) is { } filled)
            {
                await PublishAsync(filled);
                LogReplicasAdded(logger, filled.Version);
                MarkChanged(ring, filled);
            }
        }
        finally
        {
            _ringGate.Release();
        }

        if (_unconfigured.Count > 0)
        {
            await ConfigureMastersAsync();
        }
    }

    private async Task FailoverAsync(Ring ring, HashSet<SiloAddress> failed, IReadOnlyCollection<SiloAddress> live)
    {
        var options = replication.Value;

        // Fence every surviving replica of a range whose master failed: from now on they refuse the old master.
        var fencing = ring.Ranges
            .Where(r => failed.Contains(r.Master))
            .SelectMany(r => r.Replicas.Where(s => !failed.Contains(s)).Select(s => (Range: r, Silo: s)))
            .ToArray();
        var states = await Task.WhenAll(fencing.Select(async f =>
        {
            try
            {
                var replica = GrainFactory.GetGrain<IRangeReplicaGrain>($"{f.Range.Id}/{f.Silo.ToParsableString()}");
                return (f.Range.Id, f.Silo, State: (ReplicaState?)await replica.FenceAsync(f.Range.Id, f.Range.Epoch + 1).WaitAsync(options.ProbeTimeout * 2));
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                return (f.Range.Id, f.Silo, State: (ReplicaState?)null);
            }
        }));
        var answered = states.Where(s => s.State is not null).ToDictionary(s => (s.Id, s.Silo), s => s.State!);

        if (RingPlanner.Failover(ring, failed, answered, live) is not { } next)
        {
            return;
        }

        // A range whose new master was not one of its replicas had no complete copy left.
        var lost = next.Ranges.Count(r => ring.FindById(r.Id) is { } old && failed.Contains(old.Master) && !old.Replicas.Contains(r.Master));
        if (RingPlanner.FillReplicas(next, live, options.ReplicationFactor) is { } filled)
        {
            next = filled with { Version = next.Version };
        }

        await PublishAsync(next);
        foreach (var silo in failed)
        {
            _suspects.Remove(silo);
        }

        var promoted = next.Ranges.Count(r => ring.FindById(r.Id)!.Epoch != r.Epoch);
        LogFailover(logger, string.Join(", ", failed), promoted, lost, next.Version);
        MarkChanged(ring, next);
        await ConfigureMastersAsync();
    }

    /// <summary>Remembers the ranges whose master must learn its new configuration.</summary>
    private void MarkChanged(Ring before, Ring after)
    {
        foreach (var range in after.Ranges)
        {
            if (before.FindById(range.Id) != range)
            {
                _unconfigured.Add(range.Id);
            }
        }
    }

    /// <summary>Tells masters their ranges as the ring has them now (activating promoted masters); failures retry on the next check.</summary>
    private async Task ConfigureMastersAsync()
    {
        var ring = _ring!;
        var targets = _unconfigured.Select(ring.FindById).OfType<RangeInfo>().ToArray();
        _unconfigured.Clear();
        var results = await Task.WhenAll(targets.Select(async range =>
        {
            try
            {
                await GrainFactory.GetGrain<IRangeGrain>(range.GrainKey).ConfigureAsync(range, ring.Version).WaitAsync(TimeSpan.FromSeconds(5));
                return (range.Id, Ok: true);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or DiMintException)
            {
                LogConfigureFailed(logger, range.Id, ex.Message);
                return (range.Id, Ok: false);
            }
        }));
        foreach (var (id, ok) in results)
        {
            if (!ok)
            {
                _unconfigured.Add(id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failover: silo(s) {Silos} gone; {Promoted} ranges got new masters ({Lost} without a replica, their data lost); ring version {RingVersion}")]
    private static partial void LogFailover(ILogger logger, string silos, int promoted, int lost, long ringVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replicas placed to restore the replication factor; ring version {RingVersion}")]
    private static partial void LogReplicasAdded(ILogger logger, long ringVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: its master did not take its new configuration yet: {Reason}")]
    private static partial void LogConfigureFailed(ILogger logger, int rangeId, string reason);
}
