using System.Diagnostics;
using DiMint.Faults.Cluster;
using DiMint.Faults.Lab;

namespace DiMint.Faults.Schedules;

/// <summary>What a schedule's faults act on, and what they leave for the report: when faults began and ended, and which side should have kept serving.</summary>
public sealed class FaultContext(FaultCluster cluster, Random random, Action<string> log)
{
    public FaultCluster Cluster { get; } = cluster;

    /// <summary>Seeded: a schedule drawn from it is replayed by its seed.</summary>
    public Random Random { get; } = random;

    /// <summary>When the first fault began (a <see cref="Stopwatch"/> timestamp), 0 before.</summary>
    public long FaultsStarted { get; private set; }

    /// <summary>
    /// The silos on the side that should keep serving during the faults (with the ZooKeeper quorum, or every silo but a
    /// paused or killed one): a range with a quorum of its copies there should stay available. Null: every silo.
    /// </summary>
    public IReadOnlySet<FaultSilo>? ServingSide { get; set; }

    /// <summary>Ranges as they were when the faults began.</summary>
    public Ring? RingAtStart { get; private set; }

    /// <summary>Notes for the report: what was cut, paused or killed, and when.</summary>
    public List<string> Events { get; } = [];

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Records the start of the faults (once).</summary>
    public async Task BeginAsync()
    {
        if (FaultsStarted == 0)
        {
            RingAtStart = await Cluster.Observer.GetRingAsync(refresh: true);
            FaultsStarted = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Writes a line to the run's log and keeps it for the report.</summary>
    public void Note(string what)
    {
        // The time of day too, to the millisecond, to read the silos' logs against.
        var line = $"[{_clock.Elapsed.TotalSeconds,6:0.0} s, {DateTime.Now:HH:mm:ss.fff}] {what}";
        Events.Add(line);
        log(line);
    }

    /// <summary>Cuts <paramref name="side"/> (silos, ZooKeeper servers and clients named by host) off from everything else.</summary>
    public void Partition(IReadOnlyCollection<LabHost> side, string why)
    {
        var others = Cluster.Lab.Hosts.Where(h => !side.Contains(h)).ToArray();
        Cluster.Lab.Cut(side, others);
        Note($"partition: {{{string.Join(", ", side.Select(h => h.Name))}}} | {{{string.Join(", ", others.Select(h => h.Name))}}} ({why})");
    }

    /// <summary>Heals every cut link and resumes every paused silo.</summary>
    public void HealAll()
    {
        var anything = Cluster.Lab.HealAll() | Cluster.Silos.Any(s => s.Paused);
        foreach (var silo in Cluster.Silos)
        {
            Cluster.Resume(silo);
        }

        if (anything)
        {
            Note("healed");
        }
    }

    /// <summary>
    /// Keeps a fault in place for <paramref name="duration"/> while the load runs: how long a partition or a pause lasts
    /// is the schedule itself (the issue asks for at least 20 s of load under it), not a wait for a state.
    /// </summary>
    public static Task HoldAsync(TimeSpan duration) => Task.Delay(duration);
}
