using System.Diagnostics;
using DiMint.Client;
using DiMint.Testing;
using Xunit.Abstractions;

namespace DiMint.Grains.Tests.Rebalancing;

/// <summary>
/// Every ring operation, one after the other, while clients read and write: split, merge, a master move, a silo that
/// joins and gets its share on its own, a replica move, a master move with a copy, and a drain. Nothing fails, nothing
/// acknowledged is lost, and every key lives in exactly one range.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(RebalancingClusterCollection.Name)]
public sealed class RebalancingScenarioTests(RebalancingClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SplitMergeMoveJoinDrain_UnderLoad_NoOperationFails_NoAcknowledgedWriteIsLost()
    {
        var client = fixture.NewClient();
        await using var load = AcknowledgedLoad.Start(client, TestKeys.Key("load"), writers: 4, readers: 2);
        await load.WaitForWritesAsync(2_000, TimeSpan.FromSeconds(60));
        var operations = new List<RingOperationInfo>();

        // Split a range that holds data at its byte median, then merge the halves back.
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Ranges[0];
        var split = await RunAsync(client, () => client.StartSplitAsync(range.Id), operations);
        ring = await client.GetRingAsync(refresh: true);
        Assert.Null(ring.FindById(range.Id));
        Assert.Equal(2, split.ResultRanges.Length);
        var (lower, upper) = (ring.FindById(split.ResultRanges[0])!, ring.FindById(split.ResultRanges[1])!);
        Assert.Equal((range.Start, range.End), (lower.Start, upper.End));
        Assert.Equal(lower.End, upper.Start);

        var merge = await RunAsync(client, () => client.StartMergeAsync(lower.Id, upper.Id), operations);
        ring = await client.GetRingAsync(refresh: true);
        var merged = ring.FindById(Assert.Single(merge.ResultRanges))!;
        Assert.Equal((range.Start, range.End), (merged.Start, merged.End));

        // Move a master onto one of its replicas (a role swap).
        range = ring.Ranges[3];
        var swapTo = range.Replicas[0];
        await RunAsync(client, () => client.StartMoveAsync(range.Id, swapTo), operations);
        ring = await client.GetRingAsync(refresh: true);
        Assert.Equal(swapTo, ring.FindById(range.Id)!.Master);
        Assert.Contains(range.Master, ring.FindById(range.Id)!.Replicas);

        // A silo joins: the policy gives it a fair share of masters and replicas without anyone asking.
        var joining = await fixture.Cluster.StartAdditionalSiloAsync();
        var silo = joining.SiloAddress;
        var clock = Stopwatch.StartNew();
        await Wait.UntilAsync(
            async () => HoldsFairShare(await client.GetRingAsync(refresh: true), silo),
            TimeSpan.FromSeconds(120),
            $"{silo} to hold its fair share of masters and replicas");
        output.WriteLine($"joining silo held its fair share after {clock.Elapsed.TotalSeconds:0.0} s");

        // Move a replica onto it, and a master with a full copy.
        ring = await client.GetRingAsync(refresh: true);
        range = ring.Ranges.First(r => !r.Master.Equals(silo) && !r.Replicas.Contains(silo));
        await RunAsync(client, () => client.StartMoveAsync(range.Id, silo, replica: true), operations);
        Assert.Contains(silo, (await client.GetRingAsync(refresh: true)).FindById(range.Id)!.Replicas);

        ring = await client.GetRingAsync(refresh: true);
        range = ring.Ranges.First(r => !r.Master.Equals(silo) && !r.Replicas.Contains(silo));
        var copied = await RunAsync(client, () => client.StartMoveAsync(range.Id, silo), operations);
        Assert.Equal(silo, (await client.GetRingAsync(refresh: true)).FindById(range.Id)!.Master);
        Assert.True(copied.BytesMoved > 0, "a master move to a silo without a copy copies the range");

        // Drain it: nothing is left on it, and it stops with nothing lost.
        var drain = await RunAsync(client, () => client.StartDrainAsync(silo), operations);
        ring = await client.GetRingAsync(refresh: true);
        Assert.DoesNotContain(ring.Ranges, r => r.Master.Equals(silo) || r.Replicas.Contains(silo));
        Assert.Equal(drain.Steps, drain.StepsDone);
        await fixture.Cluster.StopSiloAsync(joining);

        var written = load.Acknowledged.Count;
        await load.WaitForWritesAsync(written + 500, TimeSpan.FromSeconds(60));
        await load.StopAsync();

        foreach (var op in operations)
        {
            output.WriteLine($"{op.Kind} of range {op.RangeId}{(op.OtherRangeId is { } other ? $"+{other}" : "")}: {op.State}, {op.BytesMoved} bytes, {op.KeysMoved} keys, fence {(op.Fence ?? TimeSpan.Zero).TotalMilliseconds:0.0} ms, {((op.EndedAt ?? op.StartedAt) - op.StartedAt).TotalMilliseconds:0} ms in all");
        }

        output.WriteLine($"longest fence: {operations.Max(o => o.Fence ?? TimeSpan.Zero).TotalMilliseconds:0.0} ms; {load.Acknowledged.Count} writes and {load.Reads} reads, {load.Failures.Count} failed; slowest operation {load.Slowest.TotalMilliseconds:0} ms");
        Assert.Empty(load.Failures);
        Assert.Empty(await load.FindLostAsync());

        // Every key in exactly one range: the masters together hold each acknowledged key once.
        await Wait.UntilAsync(
            async () => (await client.GetClusterStatusAsync()).Ranges.Sum(r => r.Keys) == load.Acknowledged.Count,
            TimeSpan.FromSeconds(30),
            $"the masters to hold {load.Acknowledged.Count} keys in all");
    }

    /// <summary>Whether <paramref name="silo"/> holds within the policy's threshold (1.25x) of the mean masters and replicas.</summary>
    private static bool HoldsFairShare(Ring ring, SiloAddress silo)
    {
        var silos = ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master)).Append(silo).Distinct().Count();
        var masters = ring.Ranges.Count(r => r.Master.Equals(silo));
        var replicas = ring.Ranges.Count(r => r.Replicas.Contains(silo));
        var meanMasters = (double)ring.Ranges.Length / silos;
        var meanReplicas = (double)ring.Ranges.Sum(r => r.Replicas.Length) / silos;
        return masters >= meanMasters / 1.25 && replicas >= meanReplicas / 1.25;
    }

    /// <summary>Starts an operation (waiting while the policy keeps the range busy) and follows it to the end.</summary>
    private static async Task<RingOperationInfo> RunAsync(DimintClient client, Func<Task<RingOperationInfo>> start, List<RingOperationInfo> done)
    {
        RingOperationInfo? started = null;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    started = await start();
                    return true;
                }
                catch (RingOperationException ex) when (ex.Code == DiMintErrorCode.OperationInProgress)
                {
                    return false;
                }
            },
            OperationTimeout,
            "the range to be free for the operation");
        var finished = await client.WaitForOperationAsync(started!.Id).WaitAsync(OperationTimeout);
        Assert.Equal(RingOperationState.Done, finished.State);
        done.Add(finished);
        return finished;
    }
}
