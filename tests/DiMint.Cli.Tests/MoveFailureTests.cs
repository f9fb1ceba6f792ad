using System.Diagnostics;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.Testing.ZooKeeper;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// Silo processes killed (SIGKILL) in the middle of a move, under a client load: the move is rolled back, the ring stays
/// consistent, and no acknowledged write is lost. Moves are throttled so that the kill lands mid-copy.
/// </summary>
[Trait("Category", "Process")]
public sealed class MoveFailureTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["DiMint__Replication__ReplicationFactor"] = "2",
        ["DiMint__Rebalance__AutoBalance"] = "false",
        ["DiMint__Rebalance__TransferBytesPerSecond"] = "262144",
    };

    [Fact]
    public async Task KillingTheTarget_ThenTheSource_MidMove_RollsBack_AndLosesNoAcknowledgedWrite()
    {
        await using var zooKeeper = await ZooKeeperEnsemble.StartStandaloneAsync();
        await using var cluster = await LocalClusterProcess.StartAsync(4, Settings, "--zookeeper", zooKeeper.ConnectionString, "--ranges-per-silo", "4");
        await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zooKeeper.ConnectionString, ClusterSecretFile = cluster.SecretFile });
        await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).Ranges.All(r => r.Range.Replicas.Length == 1 && r.ReplicasInSync == 1), TimeSpan.FromSeconds(60), "every range to have its replica");
        await using var load = AcknowledgedLoad.Start(client, "moves", writers: 3, readers: 1);

        // The target dies while it receives the range: the move is rolled back, the range stays where it was.
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Ranges[0];
        var target = (await client.GetNodeStatusAsync()).Select(s => s.Address).First(s => !range.Master.Equals(s) && !range.Replicas.Contains(s));
        await FillAsync(client, range, "target");
        var first = await KillMidCopyAsync(client, range, target);
        Assert.True(first is DiMintErrorCode.OperationRolledBack or DiMintErrorCode.UnknownOperation, $"the move with its target killed ended {first?.ToString() ?? "completed"}, not rolled back");
        ring = await client.GetRingAsync(refresh: true);
        Assert.Equal(range.Master, ring.FindById(range.Id)!.Master);
        Assert.DoesNotContain(ring.Ranges, r => r.Master.Equals(target) || r.Replicas.Contains(target));

        // Every range has its replica again before the next kill: a range whose only other copy was on the first victim
        // gets a new replica after the failover, and a second kill before that is two faults at RF 2 (the range then
        // rightly waits for a copy that never comes back).
        await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).Ranges.All(r => r.Range.Replicas.Length == 1 && r.ReplicasInSync == 1), TimeSpan.FromSeconds(60), "every range to have its replica again");
        ring = await client.GetRingAsync(refresh: true);

        // The source master dies while it sends the range: the replica takes over, and the move is rolled back. Not the
        // silo holding the first range's only replica: that range (filled above) would then refuse writes, as it must,
        // until a new replica is copied at the throttled rate, longer than the client's RequestTimeout.
        var filled = ring.FindById(range.Id)!;
        range = ring.Ranges.First(r => r.Id != filled.Id && !filled.Replicas.Contains(r.Master));
        var silos = (await client.GetNodeStatusAsync()).Where(s => s.IsUp).Select(s => s.Address).ToArray();
        target = silos.First(s => !range.Master.Equals(s) && !range.Replicas.Contains(s));
        await FillAsync(client, range, "source");
        var second = await KillMidCopyAsync(client, range, range.Master);
        Assert.True(second is DiMintErrorCode.OperationRolledBack or DiMintErrorCode.UnknownOperation, $"the move with its source killed ended {second?.ToString() ?? "completed"}, not rolled back");
        ring = await client.GetRingAsync(refresh: true);
        Assert.NotEqual(range.Master, ring.FindById(range.Id)!.Master);
        Assert.Contains(range.Replicas[0], ring.FindById(range.Id)!.Replicas.Prepend(ring.FindById(range.Id)!.Master));

        var written = load.Acknowledged.Count;
        await load.WaitForWritesAsync(written + 300, TimeSpan.FromSeconds(60));
        await load.StopAsync();
        output.WriteLine($"target killed: {first}; source killed: {second}");
        output.WriteLine($"{load.Acknowledged.Count} writes and {load.Reads} reads, {load.Failures.Count} failed; slowest operation {load.Slowest.TotalSeconds:0.00} s");
        foreach (var failure in load.Failures.Take(5))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(load.Failures);
        Assert.Empty(await load.FindLostAsync());
        ring = await client.GetRingAsync(refresh: true);
        ring.Validate();

        // How the move ended: OperationRolledBack, UnknownOperation (the overlord lived on the killed silo and forgot it,
        // the ring unchanged by it), or null when it completed.
        async Task<DiMintErrorCode?> KillMidCopyAsync(DimintClient client, RangeInfo range, SiloAddress victim)
        {
            var started = await client.StartMoveAsync(range.Id, target);
            await Wait.UntilAsync(
                async () => await client.GetOperationAsync(started.Id) is { State: RingOperationState.Running, BytesMoved: > 0 },
                TimeSpan.FromSeconds(30),
                "the copy to be under way",
                TimeSpan.FromMilliseconds(20));
            var pid = (await client.GetNodeStatusAsync()).Single(s => s.Address.Equals(victim)).ProcessId;
            using (var process = Process.GetProcessById(pid))
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            try
            {
                await client.WaitForOperationAsync(started.Id).WaitAsync(TimeSpan.FromSeconds(90));
                return null;
            }
            catch (RingOperationException ex)
            {
                await Wait.UntilAsync(
                    async () => (await client.GetRingAsync(refresh: true)).Ranges.All(r => !r.Master.Equals(victim) && !r.Replicas.Contains(victim)),
                    TimeSpan.FromSeconds(60),
                    $"the ranges of {victim} to fail over");
                output.WriteLine($"{victim} killed: {ex.Message}");
                return ex.Code;
            }
        }
    }

    /// <summary>About 2 MB in <paramref name="range"/>, so that a copy at 256 KiB/s takes several seconds.</summary>
    private static Task FillAsync(DimintClient client, RangeInfo range, string prefix)
    {
        var value = new string('x', 1000);
        var keys = Enumerable.Range(0, 400_000).Select(i => $"fill:{prefix}:{i}").Where(k => range.Contains(KeyHash.Of(k))).Take(2_000);
        return client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, value)));
    }
}
