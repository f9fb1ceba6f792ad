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
    public async Task SilosClusterThroughZooKeeper_SurviveALeaderLoss_AndKeepTheRingAcrossAFullRestart()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartAsync(3);
        var zk = ensemble.ConnectionString;
        var clientOptions = new DimintClientOptions { ZooKeeper = zk };

        Ring before;
        await using (var cluster = await LocalClusterProcess.StartAsync(3, "--zookeeper", zk))
        {
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
            await using (var fourth = await SiloHostProcess.StartAsync("--zookeeper", zk))
            {
                await Wait.UntilAsync(
                    async () => (await client.GetNodeStatusAsync()).Count(s => s.IsUp) == 4,
                    TimeSpan.FromSeconds(60),
                    "the fourth silo to be up in the cluster's status");
                await using var viaFourth = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = [fourth.Gateway] });
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

        await using (var restarted = await LocalClusterProcess.StartAsync(3, "--zookeeper", zk))
        {
            await using var client = await DimintClient.ConnectAsync(clientOptions);
            Ring after = null!;
            await Wait.UntilAsync(
                async () =>
                {
                    after = await client.GetRingAsync(refresh: true);
                    var live = (await client.GetNodeStatusAsync()).Where(s => s.IsUp).Select(s => s.Address).ToHashSet();
                    return after.Ranges.All(r => live.Contains(r.Master));
                },
                TimeSpan.FromSeconds(60),
                "every range of the stored ring to get a master among the restarted silos");

            // The same ranges and ids, continuing the stored versions (a new ring would start again at version 1 with 24
            // equal ranges); the old silos are gone, so the ranges have new masters, then new replicas.
            Assert.Equal(before.Ranges.Select(r => (r.Id, r.Start, r.End)), after.Ranges.Select(r => (r.Id, r.Start, r.End)));
            Assert.True(after.Version > before.Version, $"ring version {after.Version} after the restart, {before.Version} before");
            Assert.All(after.Ranges, r => Assert.True(r.Epoch > before.FindById(r.Id)!.Epoch));
            var up = (await client.GetNodeStatusAsync()).Where(s => s.IsUp).Select(s => s.Address).ToHashSet();
            Assert.All(after.Ranges, r => Assert.Contains(r.Master, up));
            await client.SetAsync("zk:after-restart", true);
            Assert.True(await client.GetAsync<bool>("zk:after-restart"));
        }
    }
}
