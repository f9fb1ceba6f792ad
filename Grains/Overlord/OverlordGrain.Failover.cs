using System.Collections.Immutable;
using DiMint.Grains.Hosting;
using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Health checks, promotions and repairs. The overlord probes every silo the ring names; a silo Orleans declares dead,
/// one whose silo port refuses connections (its process is gone), or one that fails the probes for
/// <see cref="ReplicationOptions.FailoverTimeout"/> (longer for a silo that lately stalled: <see cref="SilenceAllowance"/>),
/// has failed. A range whose master
/// failed is promoted only when a promotion quorum of its copies answers a fence (<see cref="RingPlanner.Promote"/>):
/// the most advanced of them then holds every acknowledged write. Otherwise the range waits, unavailable, for copies to
/// come back; it is never recreated empty (only an operator may, with <c>dimint recover</c>). Replicas on failed silos
/// are replaced, and missing ones added, by repair operations that copy first and switch under the master's fence.
/// </summary>
internal sealed partial class OverlordGrain
{
    /// <summary>At most this many repairs (replicas copied to restore the replication factor) run at once.</summary>
    private const int MaxConcurrentRepairs = 4;

    /// <summary>How often the health check re-reads the stored ring.</summary>
    private static readonly TimeSpan ReloadEvery = TimeSpan.FromSeconds(2);

    /// <summary>How often the silos are told to drop the copies the ring left behind (<see cref="SweepStaleCopies"/>).</summary>
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);

    /// <summary>How often the round trips of the probes are summarised in the log (<see cref="ProbeTimes"/>).</summary>
    private static readonly TimeSpan ProbeSummaryEvery = TimeSpan.FromMinutes(1);

    /// <summary>How soon a silo that closed a connection and still accepts connections has its port checked again.</summary>
    private static readonly TimeSpan PortRecheck = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a range whose repair was rolled back waits before the next try.</summary>
    private static readonly TimeSpan RepairBackoff = TimeSpan.FromSeconds(5);

    private readonly Dictionary<SiloAddress, DateTimeOffset> _suspects = [];
    private readonly HashSet<int> _unconfigured = [];

    /// <summary>
    /// Silos that answered a probe of this activation at least once: a silo still starting (its first probes are slow on
    /// a loaded machine) fails only when Orleans declares it dead, not by missed probes. A silo the ring names has served
    /// before, so it fails by missed probes even if this activation (an overlord that just took over) never heard it.
    /// </summary>
    private readonly HashSet<SiloAddress> _seenUp = [];

    /// <summary>The newest epoch this activation fenced copies of a range for, until a promotion to it is published.</summary>
    private readonly Dictionary<int, long> _fencedEpochs = [];

    /// <summary>
    /// Ranges whose master reported replicas fenced for an epoch the ring never got (<see cref="ResolveEpochAsync"/>), with
    /// the epoch the ring named then: the health check promotes them again if the ring still names it. A report that
    /// raced a promotion (its fence reached the replicas before its ring was published) is moot once the ring moved on.
    /// </summary>
    private readonly Dictionary<int, long> _stuckEpochs = [];

    /// <summary>Silos whose process restarted its Orleans runtime, and the silo that is that process now (it holds their copies).</summary>
    private readonly Dictionary<SiloAddress, SiloAddress> _carriers = [];

    /// <summary>Ranges whose last repair was rolled back, and when they may be tried again.</summary>
    private readonly Dictionary<int, DateTimeOffset> _repairBackoff = [];

    /// <summary>Ranges whose promotion is waiting for copies, so the warning is logged once per outage.</summary>
    private readonly HashSet<int> _waitingForCopies = [];
    private IGrainTimer? _healthTimer;
    private bool _readStored;
    private bool _steppingDown;
    private int _repairsRunning;
    private DateTimeOffset _lastReload;
    private DateTimeOffset _lastSweep;
    private readonly ProbeTimes _probeTimes = new();

    /// <summary>When each silo last answered a probe (a timestamp of <c>time</c>).</summary>
    private readonly Dictionary<SiloAddress, long> _lastAnswered = [];

    /// <summary>The longest recent stall each silo reported in its last probe answer (<see cref="PauseMeter.RecentLongest"/>).</summary>
    private readonly Dictionary<SiloAddress, TimeSpan> _stalls = [];
    private DateTimeOffset _lastProbeSummary;

    /// <summary>
    /// Silos whose port refused connections after they closed a connection (<see cref="SiloLostAsync"/>): failed. Like every
    /// field of this grain, touched only in its turns (interleaved at awaits, never on two threads at once).
    /// </summary>
    private readonly HashSet<SiloAddress> _refusing = [];

    /// <summary>The silos the ring of the moment names (<see cref="NamedSilos"/>), and that ring.</summary>
    private (Ring Ring, HashSet<SiloAddress> Silos)? _named;

    /// <summary>A ring that needed no repair over these live silos, with no silo failed and no range busy (<see cref="StartRepairs"/>).</summary>
    private (Ring Ring, SiloAddress[] Live)? _whole;

    /// <summary>Whether a health check is running, and whether another must follow it at once (a silo was found gone meanwhile); grain turns only.</summary>
    private bool _checking;
    private bool _checkAgain;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var interval = replication.Value.ProbeInterval;
        LogActivated(logger, election.Term, election.IsLeader);
        if (election.IsLeader && election.TookOverFrom is { } previous)
        {
            // The silo this overlord took over from was silent that long already (paused, cut off, or gone).
            _suspects[previous.Silo] = time.GetUtcNow() - previous.SilentFor;
        }

        // Interleaved: a slow request (a status report waiting for an unreachable silo) must not hold up failover. The
        // first check runs at once: an overlord that just took over has silos to fail over.
        _healthTimer = this.RegisterGrainTimer(RunHealthChecksAsync, new GrainTimerCreationOptions(TimeSpan.Zero, interval) { Interleave = true });
        StartBalancing();
        return Task.CompletedTask;
    }

    public async Task ResolveEpochAsync(int rangeId, long epoch)
    {
        var ring = await GetRingAsync();
        if (ring.FindById(rangeId) is { } range && range.Epoch == epoch && _stuckEpochs.TryAdd(rangeId, epoch))
        {
            LogResolvingEpoch(logger, rangeId, epoch);
        }
    }

    public async Task SiloLostAsync(SiloAddress silo)
    {
        if (!election.IsLeader || _refusing.Contains(silo) || _ring is null || !_lastAnswered.ContainsKey(silo))
        {
            return;
        }

        // The kernel closes a killed process's sockets one by one: its silo port may still accept for a moment after
        // this connection closed. A silo that keeps accepting (it closed the connection itself, or is only slow) is left
        // to the probes.
        var options = replication.Value;
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < options.ProbeTimeout)
        {
            if (await SiloPortCheck.RefusesAsync(silo.Endpoint, options.ProbeTimeout - time.GetElapsedTime(started), CancellationToken.None))
            {
                _refusing.Add(silo);
                if (!_suspects.ContainsKey(silo))
                {
                    LogLostAndRefused(logger, silo.ToString(), _lastAnswered.TryGetValue(silo, out var answered) ? time.GetElapsedTime(answered).TotalMilliseconds : -1);
                }

                // A check under way goes again as soon as it ends; else one runs now.
                _checkAgain = true;
                await RunHealthChecksAsync(CancellationToken.None);
                return;
            }

            await Task.Delay(PortRecheck, time);
        }
    }

    /// <summary>
    /// One health check (<see cref="CheckHealthAsync"/>), from the timer or from <see cref="SiloLostAsync"/>; never two at
    /// once (a tick that finds one running is skipped), and a silo found gone while one runs makes it check again as soon
    /// as it ends.
    /// </summary>
    private async Task RunHealthChecksAsync(CancellationToken cancellationToken)
    {
        if (_checking)
        {
            return;
        }

        _checking = true;
        try
        {
            do
            {
                _checkAgain = false;
                await CheckHealthAsync(cancellationToken);
            }
            while (_checkAgain);
        }
        finally
        {
            _checking = false;
        }
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!election.IsLeader)
        {
            // Deposed (or not yet confirmed): only the lease's holder fails silos over and repairs. Once another silo
            // holds the lease, this activation goes, and callers find the overlord there.
            if (election.Leader is { } leader && !leader.Equals(GrainContext.Address.SiloAddress) && !_steppingDown)
            {
                _steppingDown = true;
                LogDeposed(logger, leader.ToString());
                this.DeactivateOnIdle();
            }

            return;
        }

        if (_ring is null && !_readStored)
        {
            // Just taken over: load the stored ring now rather than when someone asks for it (once: a new cluster has
            // none until its first client asks, and creating it is left to that request).
            _readStored = true;
            await WakeAsync();
        }

        if (_ring is not { } ring)
        {
            return;
        }

        var options = replication.Value;
        var members = membership.CurrentSnapshot.Members;
        var named = NamedSilos(ring);
        var active = members.Values.Where(m => m.Status == Orleans.Runtime.SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
        var probed = named.Union(active).ToArray();
        var sent = time.GetTimestamp();
        var pings = Array.ConvertAll(probed, silo => IsDead(silo) || _refusing.Contains(silo) ? null : PingAsync(silo));

        // One wait for them all: the probes answered within half an interval cost this grain one turn together, not one
        // each (the cost that grows with the cluster: docs/architecture.md, "Probes").
        await AnswersAsync(Task.WhenAll(pings.OfType<Task<SiloProbe.Answer>>()), options.ProbeInterval / 2, cancellationToken);
        var answers = await Task.WhenAll(probed.Select((silo, i) => pings[i] switch
        {
            null => Task.FromResult((Silo: silo, Up: false, Dead: true)),
            { IsCompletedSuccessfully: true } ping => Task.FromResult(Answered(silo, sent, ping.Result)),
            var ping => AwaitSlowProbeAsync(silo, ping, sent, members, active, cancellationToken),
        }));

        foreach (var gone in _lastAnswered.Keys.Except(probed).ToArray())
        {
            _lastAnswered.Remove(gone);
            _stalls.Remove(gone);
        }

        _refusing.IntersectWith(probed);

        var now = time.GetUtcNow();
        var failed = new HashSet<SiloAddress>();
        foreach (var (silo, up, dead) in answers)
        {
            if (up)
            {
                _suspects.Remove(silo);
                _seenUp.Add(silo);
                continue;
            }

            if (!_suspects.TryGetValue(silo, out var since))
            {
                // Silent since its last answer (not since this probe was found missed, a ProbeTimeout later).
                _suspects[silo] = since = _lastAnswered.TryGetValue(silo, out var answered) ? now - time.GetElapsedTime(answered) : now;
            }

            if (dead || ((_seenUp.Contains(silo) || named.Contains(silo)) && now - since >= AllowedSilence(silo)))
            {
                failed.Add(silo);
            }
        }

        _draining.RemoveWhere(s => !active.Contains(s) || failed.Contains(s));
        AbandonOperationsOn(failed);
        foreach (var silo in failed.Where(named.Contains))
        {
            await FindCarrierAsync(silo);
        }

        // Ring operations change the ring too: decide on the ring of the moment, inside the gate.
        await _ringGate.WaitAsync(cancellationToken);
        try
        {
            // Each scan of the ranges only when something can match (10,000 ranges, ten rounds a second).
            var orphaned = failed.Count == 0 ? [] : _ring!.Ranges.Where(r => failed.Contains(r.Master) && !_busy.ContainsKey(r.Id)).ToArray();
            if (orphaned.Length == 0 && time.GetUtcNow() - _lastReload >= ReloadEvery)
            {
                // Another activation of the overlord (across a partition) may have published since. Not while ranges wait
                // for a promotion: a read of the storage cost a failover tens of milliseconds, and the promotion's
                // compare-and-swap fails on a stale ring anyway (the ring stored is re-read then).
                _lastReload = time.GetUtcNow();
                await TryReloadAsync();
            }

            if (orphaned.Length > 0)
            {
                await PromoteAsync(orphaned, $"silo(s) {string.Join(", ", failed.Where(f => orphaned.Any(r => r.Master.Equals(f))))} failed", failed);
            }

            // Replicas fenced for an epoch that was never published (by this activation, or reported by their master)
            // refuse a master the ring still names: promote the best copy again, at a newer epoch.
            var stuck = _stuckEpochs.Count == 0 && _fencedEpochs.Count == 0 ? [] : _ring!.Ranges.Where(r => (_stuckEpochs.GetValueOrDefault(r.Id, -1) == r.Epoch || _fencedEpochs.GetValueOrDefault(r.Id) > r.Epoch)
                && !failed.Contains(r.Master) && !_busy.ContainsKey(r.Id)).ToArray();
            _stuckEpochs.Clear();
            if (stuck.Length > 0)
            {
                await PromoteAsync(stuck, "a replica was fenced for an epoch the ring never got", failed);
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

        StartRepairs(failed);
        if (time.GetUtcNow() - _lastProbeSummary >= ProbeSummaryEvery)
        {
            _lastProbeSummary = time.GetUtcNow();
            if (_probeTimes.Take() is { } probes)
            {
                LogProbeTimes(logger, probes.Count, probes.Median, probes.P99, probes.Max, probes.Slowest.ToString());
            }
        }

        if (time.GetUtcNow() - _lastSweep >= SweepEvery)
        {
            _lastSweep = time.GetUtcNow();
            SweepStaleCopies(_ring!, active);
        }
    }

    /// <summary>
    /// A probe not answered within half an interval: the silo is slow, paused, cut off, or its process is gone. Gone from
    /// the membership, or its silo port refuses connections (a kill seen within the probe, rather than after
    /// FailoverTimeout), it is dead. A ping that went on a connection the kill reset may never be answered, so the port is
    /// checked while the ping still may be, and checked again until the probe times out: a killed process's port still
    /// accepts while the kernel tears the process down.
    /// </summary>
    private async Task<(SiloAddress Silo, bool Up, bool Dead)> AwaitSlowProbeAsync(
        SiloAddress silo,
        Task<SiloProbe.Answer> ping,
        long sent,
        ImmutableDictionary<SiloAddress, ClusterMember> members,
        HashSet<SiloAddress> active,
        CancellationToken cancellationToken)
    {
        if (!members.ContainsKey(silo) && !active.Contains(silo))
        {
            return (silo, false, true);
        }

        // A silo already silent for most of its allowance gets only what is left of it (at least half a probe
        // interval) to answer: a whole ProbeTimeout more would only delay its failover.
        var options = replication.Value;
        var budget = options.ProbeTimeout;
        if (_suspects.TryGetValue(silo, out var silentSince) && silentSince + AllowedSilence(silo) - time.GetUtcNow() is var rest && rest < budget)
        {
            budget = rest > options.ProbeInterval / 2 ? rest : options.ProbeInterval / 2;
        }

        while (time.GetElapsedTime(sent) < budget)
        {
            if (await SiloPortCheck.RefusesAsync(silo.Endpoint, budget - time.GetElapsedTime(sent), cancellationToken))
            {
                if (!_suspects.ContainsKey(silo))
                {
                    LogPortRefused(logger, silo.ToString(), _lastAnswered.TryGetValue(silo, out var answered) ? time.GetElapsedTime(answered).TotalMilliseconds : -1);
                }

                return (silo, false, true);
            }

            var left = budget - time.GetElapsedTime(sent);
            if (await AnswersAsync(ping, left < options.ProbeInterval / 2 ? left : options.ProbeInterval / 2, cancellationToken))
            {
                return Answered(silo, sent, ping.Result);
            }
        }

        return (silo, false, false);
    }

    /// <summary>Whether <paramref name="ping"/> succeeds within <paramref name="within"/> (false when it fails or takes longer).</summary>
    private static async Task<bool> AnswersAsync(Task ping, TimeSpan within, CancellationToken cancellationToken)
    {
        if (within <= TimeSpan.Zero && !ping.IsCompleted)
        {
            return false;
        }

        try
        {
            await ping.WaitAsync(within, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Probes <paramref name="silo"/> (<see cref="SiloProbe"/>): on its data port when this silo has a connection open to it
    /// (<see cref="PeerConnections"/> keeps one to every silo the ring names), else as an Orleans call to its agent. This
    /// silo's own answer is its own meter's.
    /// </summary>
    private Task<SiloProbe.Answer> PingAsync(SiloAddress silo)
    {
        if (silo.Equals(GrainContext.Address.SiloAddress))
        {
            return Task.FromResult(new SiloProbe.Answer(pauses.RecentLongest, time.GetTimestamp()));
        }

        var agent = GrainFactory.GetGrain<ISiloAgentGrain>(silo.ToParsableString());
        return SiloProbe.SendAsync(dataPorts.For(silo, GrainFactory.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo))), agent, GrainContext.Address.SiloAddress!, election.Term, time);
    }

    /// <summary>The silos <paramref name="ring"/> names (masters and replicas), kept while the ring is the same.</summary>
    private HashSet<SiloAddress> NamedSilos(Ring ring)
    {
        if (_named is not { } named || !ReferenceEquals(named.Ring, ring))
        {
            _named = named = (ring, RingPlanner.Holders(ring));
        }

        return named.Silos;
    }

    private (SiloAddress Silo, bool Up, bool Dead) Answered(SiloAddress silo, long sent, SiloProbe.Answer answer)
    {
        _probeTimes.Add(time.GetElapsedTime(sent, answer.ReceivedAt), silo);
        _lastAnswered[silo] = answer.ReceivedAt;
        _stalls[silo] = answer.Stall;
        return (silo, true, false);
    }

    /// <summary>How long <paramref name="silo"/> may go unheard before it has failed (<see cref="SilenceAllowance"/>).</summary>
    private TimeSpan AllowedSilence(SiloAddress silo) => SilenceAllowance.Of(_stalls.GetValueOrDefault(silo), pauses.RecentLongest, replication.Value);

    /// <summary>
    /// Tells every active silo to drop the range copies <paramref name="ring"/> left behind (a deposed master's copy, a
    /// replaced replica's: see <see cref="ISiloAgentGrain.DropStaleCopiesAsync"/>), so that memory comes back after a
    /// partition or a runtime restart. Not awaited: a silo that does not answer must not hold up the health check, and
    /// is told again at the next sweep.
    /// </summary>
    private void SweepStaleCopies(Ring ring, IEnumerable<SiloAddress> silos)
    {
        foreach (var silo in silos)
        {
            Forget(GrainFactory.GetGrain<ISiloAgentGrain>(silo.ToParsableString()).DropStaleCopiesAsync(ring));
        }
    }

    /// <summary>
    /// Promotes what it can of <paramref name="ranges"/>, inside the ring gate: asks every copy of each range what it holds
    /// (no side effect), fences the copies of the ranges where a promotion quorum of complete copies answered, and
    /// publishes the promotions those fences allow (<see cref="RingPlanner.Promote"/>). The others wait.
    /// </summary>
    private async Task PromoteAsync(IReadOnlyList<RangeInfo> ranges, string reason, IReadOnlySet<SiloAddress> failed)
    {
        var options = replication.Value;
        var writeAcks = options.WriteAcks;
        var started = time.GetTimestamp();
        var asked = await AskCopiesAsync(ranges, fenceEpoch: null, failed);
        var askedAfter = time.GetElapsedTime(started);
        var promotable = new List<RangeInfo>();
        foreach (var range in ranges)
        {
            var answered = asked.GetValueOrDefault(range.Id)?.Count ?? 0;
            var quorum = Quorums.Of(range.Replicas.Length, writeAcks).Promotion;
            if (answered >= quorum)
            {
                promotable.Add(range);
                _waitingForCopies.Remove(range.Id);
            }
            else if (_waitingForCopies.Add(range.Id))
            {
                LogWaitingForCopies(logger, range.Id, answered, quorum, range.Replicas.Length + 1);
            }
        }

        if (promotable.Count == 0)
        {
            return;
        }

        // The new epoch is above every fence seen: replicas fenced by an earlier attempt accept the new master.
        var epochs = promotable.ToDictionary(
            r => r.Id,
            r => Math.Max(Math.Max(r.Epoch, _fencedEpochs.GetValueOrDefault(r.Id)), asked[r.Id].Values.Max(a => a.State.FencedEpoch)) + 1);
        foreach (var (id, epoch) in epochs)
        {
            _fencedEpochs[id] = epoch;
        }

        var fenced = await AskCopiesAsync(promotable, epochs, failed);
        var fencedAfter = time.GetElapsedTime(started);
        var promoted = new Dictionary<int, RangeInfo>();
        var masters = _ring!.Ranges.CountBy(r => r.Master).ToDictionary();
        foreach (var range in promotable)
        {
            if (RingPlanner.Promote(range, fenced.GetValueOrDefault(range.Id) ?? [], writeAcks, epochs[range.Id], masters) is { } next)
            {
                promoted[range.Id] = next;
                masters[range.Master] = masters.GetValueOrDefault(range.Master) - 1;
                masters[next.Master] = masters.GetValueOrDefault(next.Master) + 1;
            }
            else
            {
                LogPromotionFailed(logger, range.Id, epochs[range.Id]);
            }
        }

        if (promoted.Count == 0)
        {
            return;
        }

        var before = _ring!;
        var after = before with
        {
            Version = before.Version + 1,
            Ranges = [.. before.Ranges.Select(r => promoted.TryGetValue(r.Id, out var next) && ranges.First(x => x.Id == r.Id).GrainKey == r.GrainKey ? next : r)],
        };
        after.Validate();
        await PublishAsync(after);
        foreach (var id in promoted.Keys)
        {
            _fencedEpochs.Remove(id);
        }

        foreach (var next in promoted.Values)
        {
            var old = before.FindById(next.Id)!;
            LogPromoted(logger, next.Id, old.Master.ToString(), next.Master.ToString(), next.Epoch, reason);
        }

        LogPromotionTimes(logger, promoted.Count, askedAfter.TotalMilliseconds, fencedAfter.TotalMilliseconds, time.GetElapsedTime(started).TotalMilliseconds);

        MarkChanged(before, after);
    }

    /// <summary>
    /// Every reachable copy of each range, as what it holds: with <paramref name="fenceEpoch"/>, each copy is fenced for
    /// that range's epoch first (and answers once its promise to the old master has run out); without, only asked. Asked
    /// through each silo's <see cref="IReplicationService"/>.
    /// Copies on silos Orleans declared dead are not asked, nor those on the <paramref name="failed"/> silos (a paused or
    /// cut-off silo would hold each round until its timeout; a promotion counts them as not answering); copies that do
    /// not answer in time are left out.
    /// </summary>
    private async Task<Dictionary<int, Dictionary<SiloAddress, (SiloAddress At, ReplicaState State)>>> AskCopiesAsync(
        IReadOnlyList<RangeInfo> ranges, IReadOnlyDictionary<int, long>? fenceEpoch, IReadOnlySet<SiloAddress> failed)
    {
        var options = replication.Value;
        var timeout = fenceEpoch is null ? options.ProbeTimeout * 2 : options.LeaseDuration + (options.ProbeTimeout * 2);
        var calls = ranges
            .SelectMany(r => r.Replicas.Prepend(r.Master).Distinct().Select(member => (Range: r, Member: member, At: Reach(member))))
            .Where(c => c.At is not null && !failed.Contains(c.At))
            .Select(async c =>
            {
                try
                {
                    // Through the silo's replication service, not the replica grain: a grain is found through Orleans'
                    // directory, whose entries on a dead silo are only handed over once Orleans declares it dead.
                    var copies = GrainFactory.GetGrain<IReplicationService>(ReplicationServiceId.At(c.At!));
                    var call = fenceEpoch is null
                        ? copies.GetStateAsync(c.Range.Id, includeMaster: true)
                        : copies.FenceAsync(c.Range.Id, fenceEpoch[c.Range.Id], c.Range.Master, c.Range.Epoch, GrainContext.Address.SiloAddress, election.Term);
                    var state = await call.WaitAsync(timeout);
                    return (c.Range.Id, c.Member, At: c.At!, State: (ReplicaState?)state);
                }
                catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
                {
                    return (c.Range.Id, c.Member, At: c.At!, State: (ReplicaState?)null);
                }
            });
        var results = await Task.WhenAll(calls);
        var byRange = new Dictionary<int, Dictionary<SiloAddress, (SiloAddress At, ReplicaState State)>>();
        foreach (var (id, member, at, state) in results)
        {
            if (state is not null)
            {
                (byRange.TryGetValue(id, out var copies) ? copies : byRange[id] = [])[member] = (at, state);
            }
        }

        return byRange;
    }

    /// <summary>
    /// Whether <paramref name="silo"/> will never answer again: Orleans declared it dead, or a newer silo runs at its
    /// address (its process restarted, or its runtime did).
    /// </summary>
    private bool IsDead(SiloAddress silo)
    {
        var members = membership.CurrentSnapshot.Members;
        if (members.TryGetValue(silo, out var member) && member.Status == Orleans.Runtime.SiloStatus.Dead)
        {
            return true;
        }

        foreach (var other in members.Values)
        {
            if (other.Status == Orleans.Runtime.SiloStatus.Active && other.SiloAddress.Endpoint.Equals(silo.Endpoint) && other.SiloAddress.Generation > silo.Generation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where the copies named on <paramref name="silo"/> can be asked: the silo itself while it lives, else the silo now carrying them, if any.</summary>
    private SiloAddress? Reach(SiloAddress silo) =>
        !IsDead(silo) ? silo : _carriers.TryGetValue(silo, out var carrier) && !IsDead(carrier) ? carrier : null;

    /// <summary>
    /// For a silo that will not answer again: the active silo at its address whose process had it as an earlier runtime
    /// (<see cref="ISiloAgentGrain.GetEarlierIncarnationsAsync"/>), which holds its copies; remembered.
    /// </summary>
    private async Task FindCarrierAsync(SiloAddress silo)
    {
        if (!IsDead(silo) || Reach(silo) is not null)
        {
            return;
        }

        var candidates = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == Orleans.Runtime.SiloStatus.Active && m.SiloAddress.Endpoint.Equals(silo.Endpoint) && m.SiloAddress.Generation > silo.Generation)
            .Select(m => m.SiloAddress);
        foreach (var candidate in candidates)
        {
            try
            {
                var earlier = await GrainFactory.GetGrain<ISiloAgentGrain>(candidate.ToParsableString()).GetEarlierIncarnationsAsync().WaitAsync(replication.Value.ProbeTimeout * 2);
                if (earlier.Contains(silo))
                {
                    _carriers[silo] = candidate;
                    LogCarrierFound(logger, silo.ToString(), candidate.ToString());
                    return;
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                // Asked again on the next check.
            }
        }
    }

    /// <summary>
    /// Starts the repairs the ring needs (<see cref="RingPlanner.PlanRepairs"/>): replicas on failed silos moved to live
    /// ones, missing replicas added, at most <see cref="MaxConcurrentRepairs"/> at a time.
    /// </summary>
    private void StartRepairs(IReadOnlySet<SiloAddress> failed)
    {
        if (_ring is not { } ring || _repairsRunning >= MaxConcurrentRepairs)
        {
            return;
        }

        var live = EligibleSilos().Where(s => !failed.Contains(s)).ToArray();
        if (failed.Count == 0 && _whole is { } whole && ReferenceEquals(whole.Ring, ring) && whole.Live.AsSpan().SequenceEqual(live))
        {
            // Nothing failed, and the same ring over the same silos had nothing to repair: planning again every round cost
            // a millisecond with 10,000 ranges (docs/architecture.md, "Probes").
            return;
        }

        var now = time.GetUtcNow();
        var busy = _busy.Keys.Concat(_repairBackoff.Where(b => b.Value > now).Select(b => b.Key)).ToHashSet();
        var carriers = _carriers.Where(c => !IsDead(c.Value)).ToDictionary(c => c.Key, c => c.Value);
        var plan = RingPlanner.PlanRepairs(ring, live, failed, replication.Value.ReplicationFactor, busy, carriers);
        _whole = plan.Count == 0 && busy.Count == 0 && failed.Count == 0 ? (ring, live) : null;
        foreach (var (rangeId, from, to) in plan.Take(MaxConcurrentRepairs - _repairsRunning))
        {
            var op = Begin(
                new RingOperationInfo
                {
                    Id = 0,
                    Kind = RingOperationKind.MoveReplica,
                    RangeId = rangeId,
                    Source = from,
                    Target = to,
                    State = RingOperationState.Running,
                    Automatic = true,
                    Reason = from is null ? "restore the replication factor"
                        : to is null ? $"drop the replica on failed silo {from} (no other silo can take it)"
                        : $"replace the replica on failed silo {from}",
                },
                rangeId);
            _repairsRunning++;
            _ = RunAsync(op, () => ChangeReplicaStepAsync(op, rangeId, from, to), usesSlot: false, onEnd: done =>
            {
                _repairsRunning--;
                if (done)
                {
                    _repairBackoff.Remove(rangeId);
                }
                else
                {
                    _repairBackoff[rangeId] = time.GetUtcNow() + RepairBackoff;
                }
            });
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: master {OldMaster} replaced by {NewMaster} at epoch {Epoch} ({Reason})")]
    private static partial void LogPromoted(ILogger logger, int rangeId, string oldMaster, string newMaster, long epoch, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Range {RangeId} is unavailable: its master failed and {Answered} of its {Copies} copies answered, {Quorum} needed to promote one without losing acknowledged writes; it waits for copies to come back ('dimint recover' can force it)")]
    private static partial void LogWaitingForCopies(ILogger logger, int rangeId, int answered, int quorum, int copies);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: too few copies answered the fence for epoch {Epoch}; the promotion is retried")]
    private static partial void LogPromotionFailed(ILogger logger, int rangeId, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: its master at epoch {Epoch} reports replicas fenced past it; promoting the best copy again")]
    private static partial void LogResolvingEpoch(ILogger logger, int rangeId, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "The overlord starts on this silo (lease term {Term}, held here: {Leads})")]
    private static partial void LogActivated(ILogger logger, long term, bool leads);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The overlord's lease is held by {Leader}: this activation steps down")]
    private static partial void LogDeposed(ILogger logger, string leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Probes answered in the last minute: {Count}, round trip median {Median:0.0} ms, p99 {P99:0.0} ms, longest {Max:0.0} ms (silo {Slowest})")]
    private static partial void LogProbeTimes(ILogger logger, int count, double median, double p99, double max, string slowest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} refuses connections (its process is gone): it has failed; its last probe answered {SinceAnswered:0} ms ago")]
    private static partial void LogPortRefused(ILogger logger, string silo, double sinceAnswered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} closed its connection and refuses connections (its process is gone): it has failed; its last probe answered {SinceAnswered:0} ms ago")]
    private static partial void LogLostAndRefused(ILogger logger, string silo, double sinceAnswered);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Ranges} ranges promoted: copies asked in {AskedMs:0} ms, fenced by {FencedMs:0} ms, the ring published by {PublishedMs:0} ms")]
    private static partial void LogPromotionTimes(ILogger logger, int ranges, double askedMs, double fencedMs, double publishedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} restarted its runtime as {Carrier}, which holds its range copies")]
    private static partial void LogCarrierFound(ILogger logger, string silo, string carrier);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Range {RangeId}: its master did not take its new configuration yet: {Reason}")]
    private static partial void LogConfigureFailed(ILogger logger, int rangeId, string reason);
}
