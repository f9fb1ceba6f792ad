using System.Diagnostics;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.Testing.ZooKeeper;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// A silo process killed (SIGKILL) in the middle of a split, of a merge and of a drain, one after the other on one
/// cluster, under a client load: each operation ends (done, or rolled back), the ring stays consistent and names no
/// dead silo once the failover is done, and no acknowledged write is lost.
/// </summary>
[Trait("Category", "Process")]
public sealed class RingOperationFailureTests(ITestOutputHelper output)
{
    /// <summary>Generous: an operation that has not ended by then hangs.</summary>
    private static readonly TimeSpan OperationEnd = TimeSpan.FromSeconds(120);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["DiMint__Replication__ReplicationFactor"] = "2",
        ["DiMint__Rebalance__AutoBalance"] = "false",
        ["DiMint__Rebalance__TransferBytesPerSecond"] = "262144",
    };

    [Fact]
    public async Task KillingASilo_MidSplit_MidMerge_MidDrain_EndsEachOperation_AndLosesNoAcknowledgedWrite()
    {
        var clock = Stopwatch.StartNew();
        await using var zooKeeper = await ZooKeeperEnsemble.StartStandaloneAsync();
        await using var cluster = await LocalClusterProcess.StartAsync(5, Settings, "--zookeeper", zooKeeper.ConnectionString, "--ranges-per-silo", "2");
        await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zooKeeper.ConnectionString, ClusterSecretFile = cluster.SecretFile });
        await SettledAsync(client, replicas: 1);
        await using var load = AcknowledgedLoad.Start(client, "ringops", writers: 3, readers: 1);
        var killed = new List<SiloAddress>();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: cluster up");

        // Split: the master's silo dies while the split runs. The range holds many keys (300,000: with 150,000 the pass once
        // ended before the kill landed on a loaded CI machine), so the master's pass that builds
        // the halves under the fence (PrepareSplitAsync, sent before StartSplitAsync answers) lasts: the kill lands in the
        // fence, before the ring switch, and the split is rolled back while its range fails over. (Done would mean the
        // kill came after the ring switch: then the halves fail over.)
        var status = await client.GetClusterStatusAsync();
        var range = status.Ranges.Select(r => r.Range).First(r => !r.Master.Equals(status.Overlord));
        var splitKeys = await FillAsync(client, range, "split", keys: 300_000, valueLength: 1);

        // The cluster's own operations (a repair or a balancing move the fill's load set off) end first: a split needs its
        // range idle (CI once found range 1 busy here).
        await SettledAsync(client, replicas: null);
        range = (await client.GetRingAsync(refresh: true)).FindById(range.Id) ?? range;
        var victim = range.Master;
        using (var master = ProcessOf(await client.GetClusterStatusAsync(), victim))
        {
            var split = await client.StartSplitAsync(range.Id);
            var killedAt = DateTimeOffset.UtcNow;
            master.Kill();
            await master.WaitForExitAsync();
            killed.Add(victim);
            var (ended, _) = await EndAsync(client, split, killed, killedAt, "split");
            var ring = await client.GetRingAsync(refresh: true);
            var splitDone = ring.FindById(range.Id) is null && ring.Ranges.Count(r => range.Contains(r.Start)) == 2;
            var unchanged = ring.FindById(range.Id) is { } same && (same.Start, same.End) == (range.Start, range.End);
            Assert.True(ended is null ? splitDone : ended == DiMintErrorCode.OperationRolledBack ? unchanged : splitDone || unchanged, $"the split ended {ended?.ToString() ?? "Done"}, but the ring says otherwise");
        }

        await SettledAsync(client, replicas: 1);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: split over");

        // The split's keys go: with one replica a range, a kill that takes a range's only replica leaves the range unable
        // to acknowledge (or serve) until a new replica holds a copy, and at this test's throttle a copy of those 300,000
        // keys takes about 30 s, longer than a request may wait. (A merge's or drain's victim holds such a replica often.)
        await Parallel.ForEachAsync(splitKeys, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (key, cancellationToken) => await client.DeleteAsync(key, cancellationToken));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: the split's keys deleted");

        // Merge: two adjacent ranges whose masters live apart, so the merge's first step moves the upper range's master
        // next to the lower's with a (throttled) copy. The lower range's master's silo, the copy's target, dies mid-copy:
        // the merge is rolled back, both ranges stay, and the lower one fails over.
        var (lower, upper) = await MergePairAsync(client);
        await FillAsync(client, upper, "merge", keys: 2_000, valueLength: 1_000);
        victim = lower.Master;
        var merge = await client.StartMergeAsync(lower.Id, upper.Id);
        var mergeKilledAt = await KillMidCopyAsync(client, merge, victim);
        killed.Add(victim);
        {
            var (ended, _) = await EndAsync(client, merge, killed, mergeKilledAt, "merge");
            var ring = await client.GetRingAsync(refresh: true);
            var mergeDone = ring.FindById(lower.Id) is null && ring.FindById(upper.Id) is null && ring.Ranges.Any(r => (r.Start, r.End) == (lower.Start, upper.End));
            var unchanged = ring.FindById(lower.Id) is not null && ring.FindById(upper.Id) is not null;
            Assert.True(ended is null ? mergeDone : ended == DiMintErrorCode.OperationRolledBack ? unchanged : mergeDone || unchanged, $"the merge ended {ended?.ToString() ?? "Done"}, but the ring says otherwise");
        }

        await SettledAsync(client, replicas: 1);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: merge over");

        // Drain: the first range the drain handles is mastered on the drained silo, so the drain first hands its master to
        // the replica (a role swap, a ring switch), then copies the range from that new master to the third silo to
        // replace the drained silo's copy (throttled). The new master's silo, holding copies, dies mid-copy, after a
        // step of the drain switched the ring: the drain goes on or gives up (rolled back), and if it says done, the ring
        // names the drained silo nowhere (a drain given up used to say done, its swap step having switched the ring).
        var (drained, first) = await DrainTargetAsync(client);
        victim = first.Replicas[0];
        await FillAsync(client, first, "drain", keys: 2_000, valueLength: 1_000);
        var drain = await client.StartDrainAsync(drained);
        var drainKilledAt = await KillMidCopyAsync(client, drain, victim);
        killed.Add(victim);
        {
            var (ended, info) = await EndAsync(client, drain, killed, drainKilledAt, "drain");
            var ring = await client.GetRingAsync(refresh: true);
            Assert.True(ended is not null || !ring.Ranges.Any(r => r.Master.Equals(drained) || r.Replicas.Contains(drained)), $"the drain of {drained} says done ({info.Reason}), but the ring still names it: {string.Join(", ", ring.Ranges.Where(r => r.Master.Equals(drained) || r.Replicas.Contains(drained)).Select(r => r.Id))}");
        }

        await SettledAsync(client, replicas: null);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: drain over");

        var written = load.Acknowledged.Count;
        await load.WaitForWritesAsync(written + 300, TimeSpan.FromSeconds(60));
        await load.StopAsync();
        output.WriteLine($"{load.Acknowledged.Count} writes and {load.Reads} reads, {load.Failures.Count} failed; slowest operation {load.Slowest.TotalSeconds:0.00} s");
        foreach (var failure in load.Failures.Take(5))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(load.Failures);
        Assert.Empty(await load.FindLostAsync());
        var final = await client.GetRingAsync(refresh: true);
        final.Validate();
        Assert.DoesNotContain(final.Ranges, r => killed.Contains(r.Master) || r.Replicas.Any(killed.Contains));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0} s: done");
    }

    /// <summary>
    /// Two adjacent ranges for the merge: the lower one's master is not the overlord's silo, and holds no copy of the upper
    /// one. When the placement of the moment has no such pair, the lower master's copy of the upper range is moved away.
    /// </summary>
    private static async Task<(RangeInfo Lower, RangeInfo Upper)> MergePairAsync(DimintClient client)
    {
        var status = await client.GetClusterStatusAsync();
        var ranges = status.Ranges.Select(r => r.Range).ToArray();
        var pairs = Enumerable.Range(0, ranges.Length - 1).Select(i => (Lower: ranges[i], Upper: ranges[i + 1]))
            .Where(p => !p.Lower.Master.Equals(status.Overlord))
            .ToArray();
        var ready = pairs.Where(p => !Holds(p.Upper, p.Lower.Master)).ToArray();
        if (ready.Length > 0)
        {
            return ready[0];
        }

        var (lower, upper) = pairs[0];
        await MoveCopyAsync(client, status, upper, lower.Master);
        var ring = await client.GetRingAsync(refresh: true);
        return (ring.FindById(lower.Id)!, ring.FindById(upper.Id)!);
    }

    /// <summary>
    /// A silo to drain whose first range (in ring order) it masters, with that range's replica not on the overlord's
    /// silo. When the placement of the moment has none, the chosen silo's replicas before its first master range, and
    /// a replica of that range on the overlord's silo, are moved away.
    /// </summary>
    private static async Task<(SiloAddress Drained, RangeInfo First)> DrainTargetAsync(DimintClient client)
    {
        var status = await client.GetClusterStatusAsync();
        var up = status.Silos.Where(s => s.IsUp).Select(s => s.Address).ToArray();
        var ranges = status.Ranges.Select(r => r.Range).ToArray();
        var ready = up.Select(s => (Silo: s, First: ranges.First(r => Holds(r, s))))
            .Where(d => d.First.Master.Equals(d.Silo) && !d.First.Replicas[0].Equals(status.Overlord))
            .ToArray();
        if (ready.Length > 0)
        {
            return ready[0];
        }

        var drained = up.First(s => ranges.Any(r => r.Master.Equals(s)));
        foreach (var range in ranges.TakeWhile(r => !r.Master.Equals(drained)).Where(r => Holds(r, drained)))
        {
            await MoveCopyAsync(client, status, range, drained);
        }

        var first = (await client.GetRingAsync(refresh: true)).Ranges.First(r => Holds(r, drained));
        if (first.Replicas[0].Equals(status.Overlord))
        {
            await MoveCopyAsync(client, status, first, status.Overlord);
            first = (await client.GetRingAsync(refresh: true)).FindById(first.Id)!;
        }

        return (drained, first);
    }

    private static bool Holds(RangeInfo range, SiloAddress silo) => range.Master.Equals(silo) || range.Replicas.Contains(silo);

    /// <summary>Moves <paramref name="from"/>'s copy of <paramref name="range"/> (master or replica) to an up silo that holds none.</summary>
    private static async Task MoveCopyAsync(DimintClient client, ClusterStatus status, RangeInfo range, SiloAddress from)
    {
        var to = status.Silos.Where(s => s.IsUp).Select(s => s.Address).First(s => !Holds(range, s));
        var move = range.Master.Equals(from)
            ? await client.StartMoveAsync(range.Id, to)
            : await client.StartMoveAsync(range.Id, to, replica: true, from: from);
        await client.WaitForOperationAsync(move.Id).WaitAsync(OperationEnd);
    }

    /// <summary>Kills <paramref name="victim"/> once the operation's (throttled) copy is under way; returns when it sent the signal.</summary>
    private async Task<DateTimeOffset> KillMidCopyAsync(DimintClient client, RingOperationInfo operation, SiloAddress victim)
    {
        await Wait.UntilAsync(
            async () => await client.GetOperationAsync(operation.Id) is { State: RingOperationState.Running, BytesMoved: > 0 },
            TimeSpan.FromSeconds(30),
            $"the copy of the {operation.Kind} to be under way",
            TimeSpan.FromMilliseconds(20));
        using var process = ProcessOf(await client.GetClusterStatusAsync(), victim);
        var killedAt = DateTimeOffset.UtcNow;
        process.Kill();
        await process.WaitForExitAsync();
        return killedAt;
    }

    /// <summary>
    /// How the operation ended (null: done; OperationRolledBack; UnknownOperation when the overlord forgot it), once the
    /// ring names none of the <paramref name="killed"/> silos and validates. The operation must not have ended before the
    /// kill (signalled at <paramref name="killedAt"/>), and must end within <see cref="OperationEnd"/>.
    /// </summary>
    private async Task<(DiMintErrorCode? Code, RingOperationInfo Info)> EndAsync(DimintClient client, RingOperationInfo operation, List<SiloAddress> killed, DateTimeOffset killedAt, string what)
    {
        // Asked at once, before Orleans declares the killed silo dead (the overlord's activation may go with it, and its
        // successor knows nothing of the operation). It may have ended already: the overlord abandons an operation's
        // step the moment it sees a silo it involves fail, and the kill is seen within a round of probes. The overlord
        // runs on this machine's clock.
        RingOperationInfo? afterKill = null;
        await Wait.UntilAsync(async () => { afterKill = await client.GetOperationAsync(operation.Id); return true; }, TimeSpan.FromSeconds(30), $"the overlord to answer about the {what}");
        output.WriteLine($"{what} {operation.Id} just after {killed[^1]} was killed: {afterKill?.State.ToString() ?? "unknown"}{(afterKill?.EndedAt - killedAt is { } after ? $", ended {after.TotalSeconds:0.000} s after the kill" : "")}");
        Assert.True(afterKill is not null && (afterKill.EndedAt is null || afterKill.EndedAt >= killedAt), $"the {what} was {afterKill?.State.ToString() ?? "unknown"} (ended {afterKill?.EndedAt:O}) before the kill at {killedAt:O}: the kill did not land mid-{what}");

        var clock = Stopwatch.StartNew();
        DiMintErrorCode? code = null;
        var info = afterKill ?? operation;
        try
        {
            info = await client.WaitForOperationAsync(operation.Id).WaitAsync(OperationEnd);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The {what} {operation.Id} did not end within {OperationEnd.TotalSeconds:0} s of the kill: {await client.GetOperationAsync(operation.Id)}");
        }
        catch (RingOperationException ex)
        {
            code = ex.Code;
            info = await client.GetOperationAsync(operation.Id) ?? info;
        }

        output.WriteLine($"{what} ended {code?.ToString() ?? "Done"} after {clock.Elapsed.TotalSeconds:0.0} s: {info.Reason}");
        Assert.True(code is null or DiMintErrorCode.OperationRolledBack or DiMintErrorCode.UnknownOperation, $"the {what} ended {code}");
        await Wait.UntilAsync(
            async () => (await client.GetRingAsync(refresh: true)).Ranges.All(r => !killed.Contains(r.Master) && !r.Replicas.Any(killed.Contains)),
            TimeSpan.FromSeconds(90),
            $"the ring to name none of the killed silos after the {what}");
        (await client.GetRingAsync(refresh: true)).Validate();
        return (code, info);
    }

    /// <summary>
    /// Waits until no ring operation runs (repairs included) and, with <paramref name="replicas"/>, every range has that
    /// many replicas, all in sync.
    /// </summary>
    private static Task SettledAsync(DimintClient client, int? replicas) =>
        Wait.UntilAsync(
            async () => (await client.GetOperationsAsync()).All(o => o.IsFinished)
                && (replicas is not { } n || (await client.GetClusterStatusAsync()).Ranges.All(r => r.Range.Replicas.Length == n && r.ReplicasInSync == n)),
            TimeSpan.FromSeconds(90),
            replicas is { } count ? $"no operation running, every range with {count} replica(s) in sync" : "no operation running");

    private static Process ProcessOf(ClusterStatus status, SiloAddress silo) =>
        Process.GetProcessById(status.Silos.Single(s => s.Address.Equals(silo)).ProcessId);

    /// <summary>Writes <paramref name="keys"/> keys in <paramref name="range"/>, each with a value of <paramref name="valueLength"/> characters, and returns them.</summary>
    private static async Task<string[]> FillAsync(DimintClient client, RangeInfo range, string prefix, int keys, int valueLength)
    {
        var value = new string('x', valueLength);
        var inRange = Enumerable.Range(0, int.MaxValue).Select(i => $"fill:{prefix}:{i}").Where(k => range.Contains(KeyHash.Of(k))).Take(keys).ToArray();

        // In slices: one call per range carrying megabytes of small writes may take longer to replicate on a busy machine
        // than a request may take.
        foreach (var slice in inRange.Chunk(10_000))
        {
            await client.SetManyAsync(slice.Select(k => KeyValuePair.Create(k, value)));
        }

        return inRange;
    }
}
