using System.Globalization;
using DiMint.Faults.Cluster;
using DiMint.Faults.Lab;

namespace DiMint.Faults.Schedules;

/// <summary>The fault schedules: the short set CI runs, and the long set (<c>tests/faults.sh</c>) with randomised ones.</summary>
public static class Schedules
{
    private static readonly TimeSpan Fault = TimeSpan.FromSeconds(25);

    /// <summary>
    /// The master of a range and one of its replicas, with a client, cut off from everything else (ZooKeeper, the other
    /// silos, the other client) for 25 s: the case that lost acknowledged writes.
    /// </summary>
    public static Schedule MinorityWithMasterAndReplica { get; } = new(
        "minority-master-replica",
        "a range's master and one replica, with a client, cut off from ZooKeeper and the rest for 25 s",
        async context =>
        {
            var cluster = context.Cluster;
            await context.BeginAsync();
            var range = context.RingAtStart!.Ranges.First(r => r.Replicas.Length > 0);
            var minority = new[] { cluster.SiloOf(range.Master)!, cluster.SiloOf(range.Replicas[0])! };
            context.ServingSide = cluster.Silos.Except(minority).ToHashSet();
            context.Partition([.. minority.Select(s => s.Host), cluster.ClientHosts[^1]], $"range {range.Id}'s master and a replica");
            await FaultContext.HoldAsync(Fault);
            context.HealAll();
        });

    /// <summary>Two silos, the overlord's among them, with a client, cut off from ZooKeeper and the other three silos.</summary>
    public static Schedule OverlordInMinority { get; } = new(
        "overlord-in-minority",
        "two silos, one of them the overlord's, with a client, cut off from ZooKeeper and the other silos for 25 s",
        context => OverlordSideAsync(context, overlordInMinority: true));

    /// <summary>Two silos without the overlord, with a client, cut off from ZooKeeper, the overlord and the other silos.</summary>
    public static Schedule OverlordInMajority { get; } = new(
        "overlord-in-majority",
        "two silos other than the overlord's, with a client, cut off from ZooKeeper and the other silos for 25 s",
        context => OverlordSideAsync(context, overlordInMinority: false));

    /// <summary>
    /// Two sides that cannot reach each other (silos 1-2 with one ZooKeeper server and a client; silos 4-5 with two
    /// servers and the other client), and silo 3 reaching both: a bridge.
    /// </summary>
    public static Schedule Bridge { get; } = new(
        "bridge",
        "silos 1-2 (+1 ZooKeeper server, a client) and silos 4-5 (+2 servers, a client) cut apart for 25 s; silo 3 reaches both",
        async context =>
        {
            var cluster = context.Cluster;
            await context.BeginAsync();
            var silos = cluster.Silos;
            LabHost[] left = [silos[0].Host, silos[1].Host, cluster.ZooKeeperHosts[0], cluster.ClientHosts[0]];
            LabHost[] right = [.. silos.Skip(3).Select(s => s.Host), .. cluster.ZooKeeperHosts.Skip(1), .. cluster.ClientHosts.Skip(1)];
            context.ServingSide = silos.Skip(2).ToHashSet();
            cluster.Lab.Cut(left, right);
            context.Note($"bridge: {{{string.Join(", ", left.Select(h => h.Name))}}} | {{{string.Join(", ", right.Select(h => h.Name))}}}, {silos[2].Host.Name} reaches both");
            await FaultContext.HoldAsync(Fault);
            context.HealAll();
        });

    /// <summary>The silo holding the most masters paused (SIGSTOP) until its ranges failed over, then resumed.</summary>
    public static Schedule PausedMaster { get; } = new(
        "paused-master",
        "SIGSTOP of the silo holding the most masters for 20 s (its ranges fail over), then SIGCONT",
        async context =>
        {
            await context.BeginAsync();
            await PauseAndResumeAsync(context, MostMasters(context), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        });

    /// <summary>
    /// The silo holding the most masters, other than the overlord's, paused (SIGSTOP) for 5 s under load, then resumed:
    /// its ranges fail over after the missed probes, and once resumed it serves nothing stale (the history checker says).
    /// </summary>
    public static Schedule PausedMasterShort { get; } = new(
        "pause5-master",
        "SIGSTOP for 5 s of the silo holding the most masters, not the overlord's, then SIGCONT; 15 s of load in all",
        async context => await PauseAndResumeAsync(context, await BeginBesideTheOverlordAsync(context), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)));

    /// <summary>
    /// Every master moved onto one silo (not the overlord's), which is then paused (SIGSTOP) for 5 s under load: the
    /// clients send everything to that silo, and must still learn of the promotions at once (the long set left every
    /// master on one silo this way, and its clients waited out their 5 s attempts).
    /// </summary>
    public static Schedule PausedSoleMaster { get; } = new(
        "pause5-sole-master",
        "every master moved onto one silo other than the overlord's, which is paused (SIGSTOP) for 5 s; 15 s of load in all",
        async context =>
        {
            var overlord = await OverlordSiloAsync(context);
            var up = (await context.Cluster.Observer.GetClusterStatusAsync()).Silos.Where(s => s.IsUp).Select(s => s.Address).ToArray();
            var victim = context.Cluster.Silos.First(s => s != overlord && up.Any(s.Is));
            await GatherMastersAsync(context, victim, up.First(victim.Is));
            await context.BeginAsync();
            await PauseAndResumeAsync(context, victim, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        });

    /// <summary>
    /// Every master moved onto the overlord's silo, which is then paused (SIGSTOP) for 5 s under load: a standby takes the
    /// lease and promotes every range at once, and the new masters must get the ring from the new overlord, not from the
    /// paused one (the long set once saw them wait 8.6 s for it, until Orleans declared the paused silo dead).
    /// </summary>
    public static Schedule PausedOverlordSoleMaster { get; } = new(
        "pause5-overlord",
        "every master moved onto the overlord's silo, which is paused (SIGSTOP) for 5 s; 15 s of load in all",
        async context =>
        {
            var overlord = await OverlordSiloAsync(context) ?? throw new InvalidOperationException("No silo hosts the overlord.");
            var up = (await context.Cluster.Observer.GetClusterStatusAsync()).Silos.Where(s => s.IsUp).Select(s => s.Address).ToArray();
            await GatherMastersAsync(context, overlord, up.First(overlord.Is));
            await context.BeginAsync();
            await PauseAndResumeAsync(context, overlord, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        });

    /// <summary>The ZooKeeper leader cut off from everything for 25 s (the ensemble elects another).</summary>
    public static Schedule ZooKeeperLeaderIsolated { get; } = new(
        "zookeeper-leader-isolated",
        "the ZooKeeper leader cut off from every silo, client and server for 25 s",
        async context =>
        {
            await context.BeginAsync();
            var leader = await context.Cluster.FindZooKeeperLeaderAsync() ?? throw new InvalidOperationException("No ZooKeeper server leads the ensemble.");
            context.Partition([leader.Host], "the ZooKeeper leader");
            await FaultContext.HoldAsync(Fault);
            context.HealAll();
        });

    /// <summary>
    /// The silo holding the most masters, other than the overlord's, killed with SIGKILL under load, and a new one started
    /// on its host 10 s later: the overlord sees the kill and fails its ranges over.
    /// </summary>
    public static Schedule KillMaster { get; } = new(
        "kill9-master",
        "kill -9 of the silo holding the most masters, not the overlord's; a new silo process on its host 10 s later; 20 s of load in all",
        async context => await KillAndRestartAsync(context, await BeginBesideTheOverlordAsync(context)));

    /// <summary>
    /// The overlord's silo (holding masters too) killed with SIGKILL under load, and a new one started on its host 10 s
    /// later: the overlord must start elsewhere before anything fails over.
    /// </summary>
    public static Schedule KillOverlord { get; } = new(
        "kill9-overlord",
        "kill -9 of the overlord's silo, which holds masters too; a new silo process on its host 10 s later; 20 s of load in all",
        async context =>
        {
            await context.BeginAsync();
            var overlord = await OverlordSiloAsync(context) ?? throw new InvalidOperationException("No silo hosts the overlord.");
            await KillAndRestartAsync(context, overlord);
        });

    /// <summary>The short set: what CI runs on every change.</summary>
    public static IReadOnlyList<Schedule> Short { get; } = [MinorityWithMasterAndReplica, PausedMaster, KillMaster];

    /// <summary>The long set: every schedule, then <paramref name="randomized"/> random ones from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<Schedule> Long(int seed, int randomized = 3) =>
    [
        MinorityWithMasterAndReplica, OverlordInMinority, OverlordInMajority, Bridge, PausedMaster, PausedMasterShort, PausedSoleMaster, PausedOverlordSoleMaster, ZooKeeperLeaderIsolated, KillMaster, KillOverlord,
        .. Enumerable.Range(0, randomized).Select(i => Random(seed + i)),
    ];

    /// <summary>
    /// A schedule drawn from <paramref name="seed"/>: three to five faults in a row (a random partition of silos, ZooKeeper
    /// servers and clients; a paused silo; a killed silo; an isolated ZooKeeper server), each held 5-15 s, healed between.
    /// </summary>
    public static Schedule Random(int seed) => new(
        string.Create(CultureInfo.InvariantCulture, $"random-{seed}"),
        string.Create(CultureInfo.InvariantCulture, $"random faults drawn from seed {seed} (replay: tests/faults.sh --seed {seed})"),
        async context =>
        {
            var cluster = context.Cluster;
            await context.BeginAsync();
            var random = new Random(seed);
            var faults = random.Next(3, 6);
            for (var i = 0; i < faults; i++)
            {
                var hold = TimeSpan.FromSeconds(random.Next(5, 16));
                switch (random.Next(4))
                {
                    case 0:
                        var hosts = cluster.Lab.Hosts.Where(_ => random.Next(2) == 0).ToArray();
                        if (hosts.Length == 0 || hosts.Length == cluster.Lab.Hosts.Count)
                        {
                            continue;
                        }

                        context.Partition(hosts, "random");
                        break;
                    case 1:
                        var paused = cluster.Silos[random.Next(cluster.Silos.Count)];
                        cluster.Pause(paused);
                        context.Note($"paused {paused.Host.Name}");
                        break;
                    case 2:
                        var killed = cluster.Silos[random.Next(cluster.Silos.Count)];
                        var signalled = DateTime.Now;
                        await cluster.KillAsync(killed);
                        context.Note($"killed {killed.Host.Name} (SIGKILL at {signalled:HH:mm:ss.fff})");
                        await FaultContext.HoldAsync(hold);
                        await cluster.RestartAsync(killed);
                        context.Note($"restarted {killed.Host.Name}");
                        continue;
                    default:
                        var server = cluster.ZooKeeperHosts[random.Next(cluster.ZooKeeperHosts.Count)];
                        context.Partition([server], "a ZooKeeper server");
                        break;
                }

                await FaultContext.HoldAsync(hold);
                context.HealAll();
            }
        });

    private static async Task OverlordSideAsync(FaultContext context, bool overlordInMinority)
    {
        var cluster = context.Cluster;
        await context.BeginAsync();
        var overlordSilo = await OverlordSiloAsync(context);
        var others = cluster.Silos.Where(s => s != overlordSilo).ToArray();
        var minority = overlordInMinority && overlordSilo is not null ? new[] { overlordSilo, others[0] } : others.Take(2).ToArray();
        context.ServingSide = cluster.Silos.Except(minority).ToHashSet();
        context.Partition([.. minority.Select(s => s.Host), cluster.ClientHosts[^1]], $"overlord on {overlordSilo?.Host.Name ?? "?"}");
        await FaultContext.HoldAsync(Fault);
        context.HealAll();
    }

    private static FaultSilo MostMasters(FaultContext context, FaultSilo? except = null) =>
        context.RingAtStart!.Ranges.GroupBy(r => r.Master).OrderByDescending(g => g.Count()).Select(g => context.Cluster.SiloOf(g.Key)).First(s => s is not null && s != except)!;

    /// <summary>
    /// When only the overlord's silo masters ranges (after kills and restarts on a small cluster), moves one master to
    /// another silo first, so a master other than the overlord's can be killed.
    /// </summary>
    private static async Task SpreadMastersAsync(FaultContext context, FaultSilo? overlord)
    {
        var observer = context.Cluster.Observer;
        var ring = await observer.GetRingAsync(refresh: true);
        if (overlord is null || ring.Ranges.Any(r => context.Cluster.SiloOf(r.Master) is { } s && s != overlord))
        {
            return;
        }

        var range = ring.Ranges.First(r => r.Replicas.Length > 0);
        var move = await observer.StartMoveAsync(range.Id, range.Replicas[0], replica: false, from: null);
        await observer.WaitForOperationAsync(move.Id);
        context.Note($"moved range {range.Id}'s master off the overlord's silo (it mastered every range)");
    }

    /// <summary>
    /// Moves every range's master onto <paramref name="silo"/>, one after the other, on the ring of the moment (the
    /// balancer may be moving some of them meanwhile: a range busy with its operation is moved once that ends).
    /// </summary>
    private static async Task GatherMastersAsync(FaultContext context, FaultSilo silo, SiloAddress target)
    {
        var observer = context.Cluster.Observer;
        var moved = 0;
        for (var round = 0; round < 100; round++)
        {
            var ring = await observer.GetRingAsync(refresh: true);
            if (ring.Ranges.FirstOrDefault(r => !silo.Is(r.Master)) is not { } range)
            {
                context.Note($"moved {moved} masters onto {silo.Host.Name}: it masters every range");
                return;
            }

            try
            {
                var move = await observer.StartMoveAsync(range.Id, target, replica: false, from: null);
                await observer.WaitForOperationAsync(move.Id);
                moved++;
            }
            catch (RingOperationException ex) when (ex.Code is DiMintErrorCode.OperationInProgress or DiMintErrorCode.OperationRolledBack or DiMintErrorCode.UnknownRange)
            {
                // The balancer's operation on it ends, or it changed: the next round looks again.
                foreach (var running in (await observer.GetOperationsAsync()).Where(o => !o.IsFinished))
                {
                    await observer.WaitForOperationAsync(running.Id).ContinueWith(static t => t.Exception, TaskScheduler.Default);
                }
            }
        }

        throw new InvalidOperationException($"The masters could not all be moved onto {silo.Host.Name}.");
    }

    /// <summary>The silo hosting the overlord, as the cluster's status names it (null when none does yet).</summary>
    private static async Task<FaultSilo?> OverlordSiloAsync(FaultContext context) =>
        (await context.Cluster.Observer.GetClusterStatusAsync()).Overlord is { } overlord ? context.Cluster.SiloOf(overlord) : null;

    /// <summary>
    /// Starts the load with masters on more silos than the overlord's (moving one off it when needed), and returns the
    /// silo holding the most masters other than the overlord's: the victim of a fault that must leave the overlord alone.
    /// </summary>
    private static async Task<FaultSilo> BeginBesideTheOverlordAsync(FaultContext context)
    {
        var overlord = await OverlordSiloAsync(context);
        await SpreadMastersAsync(context, overlord);
        await context.BeginAsync();
        return MostMasters(context, except: overlord);
    }

    /// <summary>Pauses <paramref name="victim"/> with SIGSTOP for <paramref name="pause"/>, resumes it, and keeps the load on for <paramref name="after"/>.</summary>
    private static async Task PauseAndResumeAsync(FaultContext context, FaultSilo victim, TimeSpan pause, TimeSpan after)
    {
        context.ServingSide = context.Cluster.Silos.Where(s => s != victim).ToHashSet();
        context.Cluster.Pause(victim);
        context.Note($"paused {victim.Host.Name} (pid {victim.Process?.ProcessId})");
        await FaultContext.HoldAsync(pause);
        context.Cluster.Resume(victim);
        context.Note($"resumed {victim.Host.Name}");
        await FaultContext.HoldAsync(after);
    }

    /// <summary>Kills <paramref name="victim"/> with SIGKILL, and 10 s later starts a new process on its host.</summary>
    private static async Task KillAndRestartAsync(FaultContext context, FaultSilo victim)
    {
        context.ServingSide = context.Cluster.Silos.Where(s => s != victim).ToHashSet();
        var signalled = DateTime.Now;
        await context.Cluster.KillAsync(victim);
        context.Note($"killed {victim.Host.Name} (SIGKILL at {signalled:HH:mm:ss.fff})");
        await FaultContext.HoldAsync(TimeSpan.FromSeconds(10));
        await context.Cluster.RestartAsync(victim);
        context.Note($"restarted {victim.Host.Name} (pid {victim.Process?.ProcessId})");
        await FaultContext.HoldAsync(TimeSpan.FromSeconds(10));
    }
}
