using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.Testing.ZooKeeper;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>Silo processes clustering through a real three-server ZooKeeper ensemble.</summary>
[Trait("Category", "Process")]
public sealed class ZooKeeperClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SilosClusterThroughZooKeeper_SurviveALeaderLoss_AndKeepTheRingAcrossAFullRestart_ServingItOnlyOnceAnOperatorRecoversIt()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartAsync(3);
        var zk = ensemble.ConnectionString;
        Ring before;
        await using (var cluster = await LocalClusterProcess.StartAsync(3, "--zookeeper", zk))
        {
            var clientOptions = new DimintClientOptions { ZooKeeper = zk, ClusterSecretFile = cluster.SecretFile };

            // A client that knows only the ZooKeeper connection string.
            await using var client = await DimintClient.ConnectAsync(clientOptions);
            await client.SetAsync("zk:set", new HashSet<string> { "a", "b" });
            Assert.True((await client.GetAsync<HashSet<string>>("zk:set")).SetEquals(["a", "b"]));
            Assert.Equal(3, (await client.GetNodeStatusAsync()).Count(s => s.IsUp));

            // The console, too, finds the cluster through ZooKeeper alone.
            var cliStatus = await cluster.Cli.RunAsync("--zookeeper", zk, "status", "--json");
            Assert.True(cliStatus.ExitCode == 0, cliStatus.ToString());
            Assert.Equal(3, JsonDocument.Parse(cliStatus.Output).RootElement.GetArrayLength());

            // A fourth silo joins through ZooKeeper and serves: a client reaching the cluster only through it works.
            await using (var fourth = await SiloHostProcess.StartAsync("--zookeeper", zk, "--secret-file", cluster.SecretFile!))
            {
                await Wait.UntilAsync(
                    async () => (await client.GetNodeStatusAsync()).Count(s => s.IsUp) == 4,
                    TimeSpan.FromSeconds(60),
                    "the fourth silo to be up in the cluster's status");
                await using var viaFourth = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = [fourth.Gateway], ClusterSecretFile = cluster.SecretFile });
                await viaFourth.SetAsync("zk:via-fourth", 4);
                Assert.Equal(4, await client.GetAsync<int>("zk:via-fourth"));
                Assert.Contains(await client.GetNodeStatusAsync(), s => s.IsUp && s.Gateway == fourth.Gateway);
                await fourth.StopAsync(TimeSpan.FromSeconds(60));
            }

            // Killing the ZooKeeper leader does not interrupt reads and writes.
            var acknowledged = new ConcurrentDictionary<string, int>();
            var failures = new ConcurrentQueue<Exception>();
            using var stopWriting = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 100_000 && !stopWriting.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(2); i++)
                {
                    var key = $"zk:leader-loss:{i}";
                    try
                    {
                        await client.SetAsync(key, i);
                        acknowledged[key] = i;
                        Assert.Equal(i, await client.GetAsync<int>(key));
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue(ex);
                    }
                }
            });
            await Wait.UntilAsync(() => acknowledged.Count > 100, TimeSpan.FromSeconds(30), "writes before the leader is killed");
            var leader = await ensemble.GetLeaderAsync();
            await leader.KillAsync();
            var atKill = acknowledged.Count;
            await Wait.UntilAsync(async () => await ensemble.GetLeaderAsync(TimeSpan.FromSeconds(1)) is not null, TimeSpan.FromSeconds(60), "a new ZooKeeper leader");
            await Wait.UntilAsync(() => acknowledged.Count > atKill + 500, TimeSpan.FromSeconds(60), "writes after the leader was killed");
            await stopWriting.CancelAsync();
            await writer;
            output.WriteLine($"{acknowledged.Count} writes acknowledged around the leader loss, {failures.Count} failed");
            Assert.Empty(failures);
            var back = await client.GetManyAsync<int>(acknowledged.Keys);
            Assert.All(acknowledged, e => Assert.Equal(e.Value, back[e.Key]));
            await ensemble.EnsureAllRunningAsync();

            // Change the ring so it differs from what a fresh cluster would make, then restart every silo.
            var ring = await client.GetRingAsync(refresh: true);
            before = await client.SplitRangeAsync(ring.Ranges[0].Id);
            var exit = await cluster.StopAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"dimint up exited with {exit}:\n{cluster.Output}");
        }

        // A full restart: the ring survives in ZooKeeper, the data (in memory) does not. DiMint never recreates a range
        // empty on its own (its copies might be alive across a partition): the ranges wait until an operator says so.
        await using (var restarted = await LocalClusterProcess.StartAsync(3, "--zookeeper", zk))
        {
            Assert.Contains("dimint recover --all --empty", restarted.Output, StringComparison.Ordinal);
            await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zk, RequestTimeout = TimeSpan.FromSeconds(3), ClusterSecretFile = restarted.SecretFile });
            var stored = await client.GetRingAsync(refresh: true);
            // The split's ranges survived. Their epochs may have moved on: silos stopping one by one is a failover for
            // the overlord, which may promote a replica before its own silo stops.
            Assert.Equal(before.Ranges.Select(r => (r.Id, r.Start, r.End)), stored.Ranges.Select(r => (r.Id, r.Start, r.End)));
            Assert.True(stored.Version >= before.Version, $"stored ring version {stored.Version}, {before.Version} before the restart");
            Assert.All(stored.Ranges, r => Assert.True(r.Epoch >= before.FindById(r.Id)!.Epoch));
            await Assert.ThrowsAnyAsync<DiMintException>(() => client.SetAsync("zk:before-recovery", 1));

            var recover = await restarted.Cli.RunAsync("--zookeeper", zk, "recover", "--all", "--empty");
            Assert.True(recover.ExitCode == 0, recover.ToString());
            Assert.Equal(before.Ranges.Length, recover.Output.Split('\n').Count(l => l.Contains("recovered empty", StringComparison.Ordinal)));

            var after = await client.GetRingAsync(refresh: true);
            Assert.Equal(before.Ranges.Select(r => (r.Id, r.Start, r.End)), after.Ranges.Select(r => (r.Id, r.Start, r.End)));
            Assert.True(after.Version > stored.Version, $"ring version {after.Version} after the recovery, {stored.Version} before");
            Assert.All(after.Ranges, r => Assert.True(r.Epoch > stored.FindById(r.Id)!.Epoch));
            var up = (await client.GetNodeStatusAsync()).Where(s => s.IsUp).Select(s => s.Address).ToHashSet();
            Assert.All(after.Ranges, r => Assert.Contains(r.Master, up));
            await using var patient = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zk, ClusterSecretFile = restarted.SecretFile });
            await patient.SetAsync("zk:after-restart", true);
            Assert.True(await patient.GetAsync<bool>("zk:after-restart"));
        }
    }
}
