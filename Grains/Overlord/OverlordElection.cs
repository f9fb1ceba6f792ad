using DiMint.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Elects the silo the overlord runs on, through a lease in the ring's storage (<see cref="OverlordLease"/>), so a new
/// overlord takes over within a second of losing the old one, without waiting for Orleans to declare its silo dead.
/// Every silo is a standby. The holder and the nearest standbys (<see cref="ReplicationOptions.OverlordStandbys"/>, the
/// first active silos by address) read the lease every quarter of <see cref="ReplicationOptions.OverlordLeaseDuration"/>,
/// every other silo every two leases (<see cref="NearestStandbys"/>). The holder renews it at each read (a compare-and-swap on its ETag) and leads for 90% of the lease after each renewal
/// it sent. A standby takes the lease over (a compare-and-swap too, so one standby wins) when it has seen the lease
/// unchanged for a whole lease duration on its own clock, or sooner when the holder's silo port refuses connections
/// (its runtime is gone), or when no holder is an active member. The overlord's directory and placement
/// (<see cref="OverlordDirectory"/>) put its activation on the holder, and it acts only while this silo leads; the
/// ring's own compare-and-swap keeps a deposed holder from publishing over its successor.
/// </summary>
internal sealed partial class OverlordElection(
    IServiceProvider services,
    ILocalSiloDetails local,
    IClusterMembershipService membership,
    IGrainFactory grains,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<OverlordElection> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const string StateName = "overlord-lease";
    private static readonly GrainId LeaseId = GrainId.Create("dimint-overlord", "lease");

    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _lease = options.Value.OverlordLeaseDuration;
    private readonly int _standbys = options.Value.OverlordStandbys;
    private Task? _loop;
    // Written by the election loop (RunAsync, one task), by Stop (_leadsUntil), and by the data port's connection threads
    // when a probe announces a newer term (Observe: _term by compare-and-swap, then _leader and _leadsUntil); read by the
    // overlord's grain turns, its directory and its placement on other threads. No lock: each is one word, written and
    // read with Volatile / Interlocked, and no reader needs two of them to agree (a loop's read of the lease that races an
    // announcement is corrected by the next read, a quarter of a lease later).
    private SiloAddress? _leader;
    private long _leadsUntil;
    private long _term;
    private Takeover? _tookOverFrom;

    /// <summary>The silo that holds the lease as this silo last read it, or null before the first election.</summary>
    public SiloAddress? Leader => Volatile.Read(ref _leader);

    /// <summary>Whether this silo holds the lease now (its last renewal is recent enough).</summary>
    public bool IsLeader => Volatile.Read(ref _leadsUntil) > time.GetTimestamp();

    /// <summary>
    /// The holder this silo took the lease from, and how long it had not renewed it then: a new overlord counts that
    /// silo's silence from then, not from its own first probe, so a paused holder's ranges fail over as soon as a
    /// master's would.
    /// </summary>
    public Takeover? TookOverFrom => Volatile.Read(ref _tookOverFrom);

    /// <summary>The lease's term as this silo last read it.</summary>
    public long Term => Interlocked.Read(ref _term);

    /// <summary>
    /// Takes <paramref name="holder"/> as the overlord's place when <paramref name="term"/> is newer than the term this silo
    /// last read: the overlord's probes carry both (<see cref="DataPortRequest.Overlord"/>), so a new overlord is called
    /// on its own silo from its first round of probes, before this silo's next read of the lease. A silo that held an older
    /// term stops leading (the lease is a compare-and-swap: a newer term means another silo took it). The next read of the
    /// lease stays the authority. A call that names no holder (a caller that is not the overlord) changes nothing.
    /// </summary>
    public void Observe(SiloAddress? holder, long term)
    {
        if (holder is null)
        {
            return;
        }

        long known;
        do
        {
            known = Interlocked.Read(ref _term);
            if (term <= known)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _term, term, known) != known);

        if (!holder.Equals(local.SiloAddress))
        {
            Volatile.Write(ref _leadsUntil, 0);
        }

        Volatile.Write(ref _leader, holder);
        LogLeaderAnnounced(logger, holder.ToString(), term);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OverlordElection), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _leadsUntil, 0);
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var storage = services.GetRequiredKeyedService<IGrainStorage>(DiMintStorage.Ring);
        var self = local.SiloAddress;
        var every = _lease / 4;
        var state = new GrainState<OverlordLease>(new OverlordLease());
        string? seenETag = null;
        long seenAt = 0;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await storage.ReadStateAsync(StateName, LeaseId, state);
                var now = time.GetTimestamp();
                if (state.ETag != seenETag)
                {
                    seenETag = state.ETag;
                    seenAt = now;
                }

                var lease = state.State ?? new OverlordLease();
                var holder = state.RecordExists ? lease.Holder : null;
                Interlocked.Exchange(ref _term, lease.Term);
                if (self.Equals(holder))
                {
                    // Renew: the same holder and term under a new ETag, which tells the standbys this holder lives.
                    await WriteAsync(storage, state, lease, now);
                    seenETag = state.ETag;
                }
                else if (holder is null || time.GetElapsedTime(seenAt) >= _lease || await IsGoneAsync(holder, time.GetElapsedTime(seenAt), every, stop))
                {
                    var previous = holder;
                    var silentFor = time.GetElapsedTime(seenAt);
                    await WriteAsync(storage, state, new OverlordLease { Holder = self, Term = lease.Term + 1 }, now);
                    Volatile.Write(ref _tookOverFrom, previous is null ? null : new Takeover(previous, silentFor));
                    seenETag = state.ETag;
                    Interlocked.Exchange(ref _term, lease.Term + 1);
                    LogTookOver(logger, lease.Term + 1, previous?.ToString() ?? "none");
                    _ = WakeOverlordAsync();
                }
                else
                {
                    Deposed(holder);
                }

                failures = 0;
            }
            catch (InconsistentStateException)
            {
                // Another silo renewed or took the lease between the read and the write: it leads.
                Volatile.Write(ref _leadsUntil, 0);
                state.ETag = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // The storage did not answer (ZooKeeper cut off): a holder leads until its last renewal runs out.
                if (failures++ % 20 == 0)
                {
                    LogLeaseUnreadable(logger, ex.Message);
                }
            }

            try
            {
                await Task.Delay(ReadsOften() ? every : _lease * 2, time, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// The standbys that read the lease often: the first <paramref name="count"/> of the <paramref name="active"/> silos
    /// other than <paramref name="holder"/>, by address, so every silo that sees the same membership picks the same ones.
    /// </summary>
    public static IEnumerable<SiloAddress> NearestStandbys(IEnumerable<SiloAddress> active, SiloAddress? holder, int count) =>
        active.Where(s => !s.Equals(holder)).OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).Take(count);

    /// <summary>
    /// Whether this silo reads the lease every quarter lease: it holds it, or is one of the nearest standbys, or no holder
    /// is known or the holder is no active member (a takeover is due). Others read it every two leases.
    /// </summary>
    private bool ReadsOften()
    {
        var self = local.SiloAddress;
        var holder = Leader;
        if (holder is null || self.Equals(holder) || IsLeader)
        {
            return true;
        }

        var snapshot = membership.CurrentSnapshot;
        if (snapshot.GetSiloStatus(holder) != SiloStatus.Active)
        {
            return true;
        }

        var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
        return NearestStandbys(active, holder, _standbys).Contains(self);
    }

    /// <summary>Writes <paramref name="lease"/> with the ETag read; this silo then leads for 90% of the lease from <paramref name="sentAt"/>.</summary>
    private async Task WriteAsync(IGrainStorage storage, GrainState<OverlordLease> state, OverlordLease lease, long sentAt)
    {
        state.State = lease;
        await storage.WriteStateAsync(StateName, LeaseId, state);
        Volatile.Write(ref _leader, local.SiloAddress);
        Volatile.Write(ref _leadsUntil, sentAt + (long)(_lease.TotalSeconds * 0.9 * time.TimestampFrequency));
    }

    private void Deposed(SiloAddress holder)
    {
        Volatile.Write(ref _leadsUntil, 0);
        if (!holder.Equals(Leader))
        {
            Volatile.Write(ref _leader, holder);
            LogLeader(logger, holder.ToString(), Term);
        }
    }

    /// <summary>
    /// Whether the holder will not renew again: stopping or declared dead, or, once a read found no renewal since the one
    /// before, its silo port refuses connections (its runtime is gone, so its overlord acts no more). A holder that is
    /// merely late accepts the connection and keeps the lease; the check costs it one accepted connection.
    /// </summary>
    private async Task<bool> IsGoneAsync(SiloAddress holder, TimeSpan unchangedFor, TimeSpan every, CancellationToken stop) =>
        membership.CurrentSnapshot.GetSiloStatus(holder) is SiloStatus.ShuttingDown or SiloStatus.Stopping or SiloStatus.Dead
        || (unchangedFor >= every * 0.9 && await SiloPortCheck.RefusesAsync(holder.Endpoint, every, stop));

    /// <summary>Starts the overlord here at once (its placement follows the lease), rather than at the next call.</summary>
    private async Task WakeOverlordAsync()
    {
        try
        {
            await grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord).WakeAsync().WaitAsync(_lease * 2);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // The silos' overlord watch wakes it in a moment.
        }
    }

    /// <summary>A holder this silo took the lease from, and how long it had been silent then.</summary>
    public sealed record Takeover(SiloAddress Silo, TimeSpan SilentFor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This silo leads as the overlord from term {Term} (the lease was held by {Previous})")]
    private static partial void LogTookOver(ILogger logger, long term, string previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "The overlord leads on {Leader} (term {Term})")]
    private static partial void LogLeader(ILogger logger, string leader, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "The overlord leads on {Leader} (term {Term}), as its probe says")]
    private static partial void LogLeaderAnnounced(ILogger logger, string leader, long term);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The overlord's lease could not be read or renewed: {Reason}")]
    private static partial void LogLeaseUnreadable(ILogger logger, string reason);
}
