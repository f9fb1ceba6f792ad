using System.Diagnostics;
using System.Net;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Rebalancing;

namespace DiMint.Grains.Simulation;

/// <summary>What to simulate: a ring of <paramref name="Ranges"/> ranges over <paramref name="Silos"/> silos.</summary>
/// <param name="Silos">Silos in the cluster.</param>
/// <param name="Ranges">Ranges in the ring.</param>
/// <param name="ReplicationFactor">Copies of each range, master included.</param>
/// <param name="BytesPerRange">What each range holds (the bytes a copy of it moves).</param>
/// <param name="Lookups">Random keys looked up in the ring to time a lookup.</param>
/// <param name="Seed">The random keys' seed.</param>
public sealed record SimulationSettings(int Silos, int Ranges, int ReplicationFactor = 3, long BytesPerRange = 16L * 1024 * 1024, int Lookups = 1_000_000, int Seed = 1);

/// <summary>One decision of the simulated overlord: how many operations it planned, what they move, and how long it took to decide.</summary>
/// <param name="Operations">Operations planned.</param>
/// <param name="Bytes">Bytes those operations copy between silos.</param>
/// <param name="Elapsed">The planner's time.</param>
public sealed record SimulatedDecision(int Operations, long Bytes, TimeSpan Elapsed);

/// <summary>The size of a ring change as a delta (<see cref="RingCodec.EncodeDelta"/>), where the whole ring is sent otherwise.</summary>
/// <param name="SplitBytes">One range split in two.</param>
/// <param name="SplitElapsed">The time to make that delta (a walk over both rings).</param>
/// <param name="DeathBytes">A silo's death: all its promotions and its copies' repairs, from the ring before it.</param>
public sealed record SimulatedDeltas(int SplitBytes, TimeSpan SplitElapsed, int DeathBytes);

/// <summary>
/// What <see cref="RingSimulation.Run"/> measured.
/// </summary>
/// <param name="Settings">What was simulated.</param>
/// <param name="Create">Creating the ring.</param>
/// <param name="RingBytes">The ring's size as the overlord stores it (<see cref="RingCodec"/>).</param>
/// <param name="JsonBytes">Its size in another form to compare with (Orleans' JSON, as stored before), when a serializer was given.</param>
/// <param name="WireBytes">Its size as Orleans' serializer sends it (a ring watch's answer, a Moved answer), when a serializer was given.</param>
/// <param name="HealthRound">The ring work of one of the overlord's health rounds (ten a second) when it is done afresh: the silos the ring names and the repairs it needs (none).</param>
/// <param name="Deltas">What a ring change sends to whoever holds the version before it (<see cref="RingUpdate"/>).</param>
/// <param name="LookupNanoseconds">One key's lookup in the ring (the range that holds a hash), in nanoseconds.</param>
/// <param name="Balance">One balancing decision on the balanced ring (nothing to do).</param>
/// <param name="Death">A silo's death: the promotions of the ranges it mastered (each its own decision, timed together) and its copies' repairs.</param>
/// <param name="Repairs">The repairs planned after that death.</param>
/// <param name="Join">A new silo's join: every balancing round until the policy is satisfied, together.</param>
/// <param name="JoinRounds">Balancing rounds the join took (each starts at most <see cref="RebalanceOptions.MaxConcurrentOperations"/> operations).</param>
/// <param name="SlowestRound">The longest single balancing decision of the join.</param>
/// <param name="JoinedMasters">Ranges the joined silo masters once balanced.</param>
/// <param name="JoinedReplicas">Ranges the joined silo replicates once balanced.</param>
/// <param name="MeanMasters">Masters per silo, on average.</param>
public sealed record SimulationReport(
    SimulationSettings Settings,
    TimeSpan Create,
    int RingBytes,
    int? JsonBytes,
    int? WireBytes,
    TimeSpan HealthRound,
    SimulatedDeltas Deltas,
    double LookupNanoseconds,
    SimulatedDecision Balance,
    SimulatedDecision Death,
    SimulatedDecision Repairs,
    SimulatedDecision Join,
    int JoinRounds,
    TimeSpan SlowestRound,
    int JoinedMasters,
    int JoinedReplicas,
    double MeanMasters);

/// <summary>
/// Runs the overlord's pure planners (<see cref="RingPlanner"/>, <see cref="RebalancePlanner"/>) on a cluster of any size,
/// in memory, with no silo: how long each decision takes, what it moves, and how big the ring grows, at sizes no test
/// cluster on one machine reaches. The planners' results are applied to the ring as the overlord would once each
/// operation is done, so every step starts from a consistent ring.
/// </summary>
public static class RingSimulation
{
    /// <summary>Balancing rounds a join may take before the simulation gives up on reaching balance.</summary>
    public const int MaxJoinRounds = 100_000;

    /// <summary>Silos of a simulated cluster: distinct addresses in 10.0.0.0/8, one port, generation 1.</summary>
    public static SiloAddress[] SiloAddresses(int count, int first = 0) =>
        [.. Enumerable.Range(first, count).Select(i => SiloAddress.New(new IPEndPoint(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 11111), 1))];

    /// <summary>
    /// Simulates <paramref name="settings"/>; <paramref name="otherSize"/> measures the ring in another form to compare with,
    /// <paramref name="wireSize"/> as it travels between silos and clients.
    /// </summary>
    public static SimulationReport Run(SimulationSettings settings, RebalanceOptions options, Func<Ring, int>? otherSize = null, Func<Ring, int>? wireSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Silos, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Ranges, 1);
        var silos = SiloAddresses(settings.Silos);
        var clock = Stopwatch.StartNew();
        var ring = RingPlanner.Create(silos, settings.Ranges, settings.ReplicationFactor);
        var create = clock.Elapsed;
        var ringBytes = RingCodec.Encode(ring).Length;
        var jsonBytes = otherSize?.Invoke(ring);
        var wireBytes = wireSize?.Invoke(ring);
        var healthRound = TimeHealthRound(ring, silos, settings.ReplicationFactor);
        var lookup = TimeLookups(ring, settings.Lookups, settings.Seed);
        var sizes = ring.Ranges.ToDictionary(r => r.Id, _ => new RangeSize(settings.BytesPerRange / 100, settings.BytesPerRange));

        clock.Restart();
        var idle = RebalancePlanner.Plan(ring, sizes, silos, options, new HashSet<int>(), options.MaxConcurrentOperations);
        var balance = new SimulatedDecision(idle.Count, 0, clock.Elapsed);

        var (afterDeath, death, repairs) = KillOne(ring, silos, settings, sizes);
        var deltas = MeasureDeltas(ring, afterDeath);
        var (joined, join, rounds, slowest) = JoinOne(afterDeath, silos.Where(s => !s.Equals(silos[0])).ToArray(), settings, options, sizes);
        var newcomer = SiloAddresses(1, settings.Silos)[0];
        return new SimulationReport(
            settings,
            create,
            ringBytes,
            jsonBytes,
            wireBytes,
            healthRound,
            deltas,
            lookup,
            balance,
            death,
            repairs,
            join,
            rounds,
            slowest,
            joined.Ranges.Count(r => r.Master.Equals(newcomer)),
            joined.Ranges.Count(r => r.Replicas.Contains(newcomer)),
            (double)joined.Ranges.Length / settings.Silos);
    }

    /// <summary>The deltas a split of the middle range and a silo's death (<paramref name="afterDeath"/>) make from <paramref name="ring"/>.</summary>
    public static SimulatedDeltas MeasureDeltas(Ring ring, Ring afterDeath)
    {
        var middle = ring.Ranges[ring.Ranges.Length / 2];
        var split = RingPlanner.Split(ring, middle.Id, RingPlanner.Midpoint(middle)).Ring;
        var clock = Stopwatch.StartNew();
        var splitBytes = RingCodec.EncodeDelta(ring, split).Length;
        var elapsed = clock.Elapsed;
        return new SimulatedDeltas(splitBytes, elapsed, RingCodec.EncodeDelta(ring, afterDeath).Length);
    }

    /// <summary>
    /// The ring work of one health round on a healthy <paramref name="ring"/> done afresh (the overlord now does it only
    /// when the ring or the live silos changed): the silos it names, and the repairs it needs. The mean of 20 rounds.
    /// </summary>
    public static TimeSpan TimeHealthRound(Ring ring, IReadOnlyCollection<SiloAddress> silos, int replicationFactor)
    {
        const int Rounds = 20;
        var none = new HashSet<SiloAddress>();
        var idle = new HashSet<int>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Rounds; i++)
        {
            if (RingPlanner.Holders(ring).Count == 0 || RingPlanner.PlanRepairs(ring, silos, none, replicationFactor, idle).Count != 0)
            {
                throw new InvalidOperationException("A healthy ring named no silo, or needed repairs.");
            }
        }

        return clock.Elapsed / Rounds;
    }

    /// <summary>Nanoseconds per <see cref="Ring.Find"/> of a random hash.</summary>
    public static double TimeLookups(Ring ring, int count, int seed)
    {
        var random = new Random(seed);
        var hashes = new ulong[Math.Max(1, count)];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        }

        long sink = 0;
        foreach (var hash in hashes.AsSpan(0, Math.Min(hashes.Length, 10_000)))
        {
            sink += ring.Find(hash).Id;
        }

        var clock = Stopwatch.StartNew();
        foreach (var hash in hashes)
        {
            sink += ring.Find(hash).Id;
        }

        GC.KeepAlive(sink);
        return clock.Elapsed.TotalNanoseconds / hashes.Length;
    }

    /// <summary>
    /// Kills the first silo: each range it mastered is promoted (every copy answering with the same state, as after a
    /// quiet period), then its other copies are repaired; the ring returned has both applied.
    /// </summary>
    public static (Ring Ring, SimulatedDecision Promotions, SimulatedDecision Repairs) KillOne(Ring ring, IReadOnlyList<SiloAddress> silos, SimulationSettings settings, IReadOnlyDictionary<int, RangeSize> sizes)
    {
        var dead = silos[0];
        var live = silos.Where(s => !s.Equals(dead)).ToArray();
        var clock = Stopwatch.StartNew();
        var masters = live.ToDictionary(s => s, s => 0);
        foreach (var range in ring.Ranges)
        {
            if (masters.ContainsKey(range.Master))
            {
                masters[range.Master]++;
            }
        }

        var ranges = ring.Ranges.ToBuilder();
        var promoted = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            if (!range.Master.Equals(dead))
            {
                continue;
            }

            var state = new ReplicaState { RangeId = range.Id, Complete = true, Epoch = range.Epoch, AppliedSeq = 0 };
            var answers = range.Replicas.ToDictionary(s => s, s => (At: s, State: state));
            if (RingPlanner.Promote(range, answers, writeAcks: null, range.Epoch + 1, masters) is { } next)
            {
                ranges[i] = next;
                masters[next.Master]++;
                promoted++;
            }
        }

        ring = ring with { Version = ring.Version + 1, Ranges = ranges.ToImmutable() };
        var promotions = new SimulatedDecision(promoted, 0, clock.Elapsed);

        clock.Restart();
        var failed = new HashSet<SiloAddress> { dead };
        var repairs = RingPlanner.PlanRepairs(ring, live, failed, settings.ReplicationFactor, new HashSet<int>());
        var planned = clock.Elapsed;
        long moved = 0;
        foreach (var (rangeId, from, to) in repairs)
        {
            ring = (from, to) switch
            {
                ({ } f, { } t) => RingPlanner.MoveReplica(ring, rangeId, f, t),
                ({ } f, null) => RingPlanner.DropReplica(ring, rangeId, f),
                (null, { } t) => RingPlanner.AddReplica(ring, rangeId, t),
                _ => ring,
            };
            moved += to is null ? 0 : sizes.GetValueOrDefault(rangeId).Bytes;
        }

        return (ring, promotions, new SimulatedDecision(repairs.Count, moved, planned));
    }

    /// <summary>
    /// Adds one silo to <paramref name="silos"/> and runs the balancing policy round after round (each round's operations
    /// applied before the next, as the overlord does once they end) until it plans nothing more.
    /// </summary>
    public static (Ring Ring, SimulatedDecision Total, int Rounds, TimeSpan Slowest) JoinOne(Ring ring, IReadOnlyList<SiloAddress> silos, SimulationSettings settings, RebalanceOptions options, IReadOnlyDictionary<int, RangeSize> sizes) =>
        Balance(ring, [.. silos, SiloAddresses(1, settings.Silos)[0]], options, sizes);

    /// <summary>
    /// Runs the balancing policy over <paramref name="all"/> silos round after round, each round's operations applied
    /// before the next (as the overlord does once they end), until it plans nothing more.
    /// </summary>
    public static (Ring Ring, SimulatedDecision Total, int Rounds, TimeSpan Slowest) Balance(Ring ring, IReadOnlyList<SiloAddress> all, RebalanceOptions options, IReadOnlyDictionary<int, RangeSize> sizes)
    {
        var sizeOf = new Dictionary<int, RangeSize>(sizes);
        var busy = new HashSet<int>();
        var total = TimeSpan.Zero;
        var slowest = TimeSpan.Zero;
        var operations = 0;
        long moved = 0;
        var rounds = 0;
        while (rounds < MaxJoinRounds)
        {
            var clock = Stopwatch.StartNew();
            var plan = RebalancePlanner.Plan(ring, sizeOf, all, options, busy, options.MaxConcurrentOperations);
            var took = clock.Elapsed;
            total += took;
            slowest = took > slowest ? took : slowest;
            if (plan.Count == 0)
            {
                break;
            }

            rounds++;
            foreach (var operation in plan)
            {
                operations++;
                var size = sizeOf.GetValueOrDefault(operation.RangeId);
                switch (operation.Kind)
                {
                    case RingOperationKind.MoveMaster when operation.Target is { } target:
                        // A role swap when the target replicates the range already; else a copy of the range.
                        moved += ring.FindById(operation.RangeId)!.Replicas.Contains(target) ? 0 : size.Bytes;
                        ring = RingPlanner.MoveMaster(ring, operation.RangeId, target);
                        break;
                    case RingOperationKind.MoveReplica when operation is { Source: { } from, Target: { } to }:
                        moved += size.Bytes;
                        ring = RingPlanner.MoveReplica(ring, operation.RangeId, from, to);
                        break;
                    case RingOperationKind.Split:
                        var range = ring.FindById(operation.RangeId)!;
                        var (split, lower, upper) = RingPlanner.Split(ring, operation.RangeId, RingPlanner.Midpoint(range));
                        ring = split;
                        sizeOf[lower.Id] = new RangeSize(size.Keys / 2, size.Bytes / 2);
                        sizeOf[upper.Id] = new RangeSize(size.Keys - (size.Keys / 2), size.Bytes - (size.Bytes / 2));
                        sizeOf.Remove(operation.RangeId);
                        break;
                    case RingOperationKind.Merge when operation.OtherRangeId is { } other:
                        var merged = RingPlanner.PlanMerge(ring, operation.RangeId, other);
                        ring = RingPlanner.Merge(ring, operation.RangeId, other, merged);
                        sizeOf[merged.Id] = new RangeSize(size.Keys + sizeOf[other].Keys, size.Bytes + sizeOf[other].Bytes);
                        sizeOf.Remove(operation.RangeId);
                        sizeOf.Remove(other);
                        break;
                }
            }
        }

        return (ring, new SimulatedDecision(operations, moved, total), rounds, slowest);
    }
}
