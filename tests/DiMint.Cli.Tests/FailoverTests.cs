using System.Collections.Concurrent;
using System.Diagnostics;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.Testing.ZooKeeper;
using Xunit.Abstractions;

namespace DiMint.Cli.Tests;

/// <summary>
/// The check users care about: silo processes killed with SIGKILL under a steady write load lose no acknowledged
/// write, and their ranges take writes again within seconds (RF 3, WriteAcks 1), clustering through ZooKeeper and with
/// the default local clustering.
/// </summary>
[Trait("Category", "Process")]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Writers = 6;

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task KillingTheSiloWithTheMostMasters_RepeatedlyUnderLoad_LosesNoAcknowledgedWrite(int silos)
    {
        await using var zooKeeper = await ZooKeeperEnsemble.StartStandaloneAsync();
        await using var cluster = await LocalClusterProcess.StartAsync(silos, "--zookeeper", zooKeeper.ConnectionString, "--ranges-per-silo", (24 / silos).ToString(System.Globalization.CultureInfo.InvariantCulture));
        // A copy of the cluster's secret: once every silo 'up' started is killed, 'up' exits and removes its own.
        var secretFile = Path.Combine(cluster.Cli.Home, "failover-test.secret");
        File.Copy(cluster.SecretFile!, secretFile);
        await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zooKeeper.ConnectionString, ClusterSecretFile = secretFile });
        var joined = new List<SiloHostProcess>();
        try
        {
            await WaitForReplicationFactorAsync(client, replicas: 2);

            var acknowledged = new ConcurrentDictionary<string, string>();
            var failures = new ConcurrentQueue<string>();
            var slowest = new double[Writers];
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                for (var n = 0; !stop.IsCancellationRequested && clock.Elapsed < TimeSpan.FromMinutes(6); n++)
                {
                    var key = $"failover:{w}:{n}";
                    var value = $"{w}/{n}/{Guid.NewGuid():N}";
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await client.SetAsync(key, value);
                        acknowledged[key] = value;
                    }
                    catch (DiMintException ex)
                    {
                        failures.Enqueue($"{key}: {ex.GetType().Name}: {ex.Message}");
                    }

                    var took = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    slowest[w] = Math.Max(slowest[w], took);
                }
            })).ToArray();

            var windows = new List<double>();
            for (var cycle = 1; cycle <= 3; cycle++)
            {
                await Wait.UntilAsync(() => acknowledged.Count > cycle * 1000, TimeSpan.FromSeconds(60), "writes before the kill");
                Array.Clear(slowest);

                // Kill -9 the silo holding the most masters.
                var ring = await client.GetRingAsync(refresh: true);
                var nodes = await client.GetNodeStatusAsync();
                var victim = ring.Ranges.GroupBy(r => r.Master).MaxBy(g => g.Count())!.Key;
                var pid = nodes.Single(s => s.Address.Equals(victim)).ProcessId;
                var masters = ring.Ranges.Count(r => r.Master.Equals(victim));
                using (var process = Process.GetProcessById(pid))
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }

                var atKill = acknowledged.Count;
                await Wait.UntilAsync(
                    async () => (await client.GetRingAsync(refresh: true)).Ranges.All(r => !r.Master.Equals(victim) && !r.Replicas.Contains(victim)),
                    TimeSpan.FromSeconds(60),
                    $"the ranges of {victim} to fail over");
                await Wait.UntilAsync(() => acknowledged.Count > atKill + 1000, TimeSpan.FromSeconds(60), "writes after the failover");
                var window = slowest.Max();
                windows.Add(window);
                output.WriteLine($"{silos} silos, cycle {cycle}: killed {victim} (pid {pid}, {masters} masters); longest a write waited: {window:0.00} s; {acknowledged.Count} acknowledged so far");

                // A new silo joins; the replication factor comes back before the next kill.
                joined.Add(await SiloHostProcess.StartAsync("--zookeeper", zooKeeper.ConnectionString, "--secret-file", secretFile));
                await WaitForReplicationFactorAsync(client, replicas: 2);
            }

            await stop.CancelAsync();
            await Task.WhenAll(writers);

            var back = await client.GetManyAsync<string>(acknowledged.Keys);
            var lost = acknowledged.Where(e => !back.TryGetValue(e.Key, out var v) || v != e.Value).Select(e => e.Key).ToArray();
            var ordered = windows.Order().ToArray();
            output.WriteLine($"{silos} silos: {acknowledged.Count} writes acknowledged, {lost.Length} lost, {failures.Count} failed (not acknowledged)");
            output.WriteLine($"unavailability window: median {ordered[ordered.Length / 2]:0.00} s, worst {ordered[^1]:0.00} s");
            foreach (var failure in failures.Take(5))
            {
                output.WriteLine(failure);
            }

            var finalRing = await client.GetRingAsync(refresh: true);
            foreach (var group in lost.GroupBy(k => finalRing.Find(KeyHash.Of(k)).Id).Take(10))
            {
                var range = finalRing.FindById(group.Key)!;
                output.WriteLine($"lost in range {range.Id} (epoch {range.Epoch}, master {range.Master}): {group.Count()} keys, e.g. {group.First()} -> {(back.TryGetValue(group.First(), out var v) ? v : "missing")}");
            }

            Assert.Empty(lost);

            // Outage detectors, not speed checks (the benchmark keeps the figures): generous bounds that still catch a
            // failover of tens of seconds. A failover takes a few seconds, up to about 15 when the overlord died too. A
            // write gives up after the client's RequestTimeout (15 s), so a longer outage shows as failed writes rather
            // than longer waits: a slow failover may fail one write per writer, a 30 s outage fails about two per writer
            // at every kill (36 in a run), and writes failing fast would number thousands.
            Assert.All(windows, window => Assert.True(window < 20, $"a write waited {window:0.00} s for a failover"));
            Assert.True(failures.Count <= 2 * Writers, $"{failures.Count} writes failed (retried for the client's RequestTimeout) of {acknowledged.Count + failures.Count}");
        }
        finally
        {
            foreach (var silo in joined)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LocalClustering_KillingASiloWithMastersUnderLoad_PromotesItsRanges_AndLosesNoAcknowledgedWrite()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(3);
        await using var client = await DimintClient.ConnectAsync(cluster.ClientOptions());
        await WaitForReplicationFactorAsync(client, replicas: 2);
        await using var load = AcknowledgedLoad.Start(client, "local-failover", writers: 4, readers: 2);
        await load.WaitForWritesAsync(500, TimeSpan.FromSeconds(60));

        // Not the primary: without ZooKeeper, Orleans keeps the membership table on the primary silo (the first `up`
        // starts, SiloProcessIds[0]; a system target there), so without it no silo can be declared dead or join, and a
        // local cluster does not survive its loss. Not the overlord's silo either: without ZooKeeper the ring is kept in
        // Orleans' in-memory grain storage, which does not survive the loss of the silo holding it. A live overlord
        // still has the ring and writes it again; a new activation would find no ring if the same silo held both.
        var status = await client.GetClusterStatusAsync();
        var victim = status.Silos
            .Where(s => s.IsUp && s.ProcessId != cluster.SiloProcessIds[0] && !s.Address.Equals(status.Overlord) && s.MasterRanges > 0)
            .MaxBy(s => s.MasterRanges)!;
        var ring = await client.GetRingAsync(refresh: true);
        var lostMasters = ring.Ranges.Where(r => r.Master.Equals(victim.Address)).ToArray();

        // In each range that fails over: a key that expires in 30 minutes, one that expires soon after the kill, and a
        // counter that a client keeps incrementing through the failover.
        string KeyIn(RangeInfo range, string kind) =>
            Enumerable.Range(0, int.MaxValue).Select(i => $"local-failover:{kind}:{range.Id}:{i}").First(k => range.Contains(KeyHash.Of(k)));
        foreach (var range in lostMasters)
        {
            await client.SetAsync(KeyIn(range, "lasting"), "lasting", TimeSpan.FromMinutes(30));
            await client.SetAsync(KeyIn(range, "short"), "short", TimeSpan.FromSeconds(15));
        }

        var counters = lostMasters.Select(r => KeyIn(r, "counter")).ToArray();
        var increments = counters.ToDictionary(k => k, _ => new ConcurrentBag<long>());
        var unknown = counters.ToDictionary(k => k, _ => 0);
        using var stopCounting = new CancellationTokenSource();
        var counting = Task.Run(async () =>
        {
            for (var n = 0; !stopCounting.IsCancellationRequested; n++)
            {
                var key = counters[n % counters.Length];
                try
                {
                    increments[key].Add(await client.IncrementAsync(key));
                }
                catch (DiMintException)
                {
                    unknown[key]++;
                }
            }
        });
        await Wait.UntilAsync(() => increments.Values.All(b => b.Count >= 20), TimeSpan.FromSeconds(60), "increments before the kill");

        using (var process = Process.GetProcessById(victim.ProcessId))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        var atKill = load.Acknowledged.Count;
        await Wait.UntilAsync(
            async () => (await client.GetRingAsync(refresh: true)).Ranges.All(r => !r.Master.Equals(victim.Address)),
            TimeSpan.FromSeconds(60),
            $"the {lostMasters.Length} ranges mastered by {victim.Address} to get new masters");

        // Every key space the dead silo mastered takes writes again, and the load goes on.
        foreach (var range in lostMasters)
        {
            var key = Enumerable.Range(0, int.MaxValue).Select(i => $"local-failover:probe:{range.Id}:{i}").First(k => range.Contains(KeyHash.Of(k)));
            await client.SetAsync(key, "after the kill");
            Assert.Equal("after the kill", await client.GetAsync<string>(key));
        }

        await load.WaitForWritesAsync(atKill + 500, TimeSpan.FromSeconds(60));
        await load.StopAsync();
        await stopCounting.CancelAsync();
        await counting;

        // Each acknowledged increment got its own result, none was lost, and none was applied twice: the counter holds
        // the acknowledged ones and at most those whose outcome the client did not learn.
        foreach (var key in counters)
        {
            var results = increments[key].Order().ToArray();
            Assert.Equal(results.Length, results.Distinct().Count());
            var final = await client.GetAsync<long>(key);
            Assert.InRange(final, results.Length, results.Length + unknown[key]);
            Assert.True(results.Length == 0 || results[^1] <= final, $"an increment answered {results[^1]}, more than the counter's {final}");
        }

        // Expiry survived the promotion: the long one still counts down, the short one expired at its new master.
        foreach (var range in lostMasters)
        {
            Assert.InRange((await client.GetTtlAsync(KeyIn(range, "lasting")))!.Value, TimeSpan.FromMinutes(28), TimeSpan.FromMinutes(30));
            Assert.Equal("lasting", await client.GetAsync<string>(KeyIn(range, "lasting")));
            await Wait.UntilAsync(async () => !(await client.TryGetAsync<string>(KeyIn(range, "short"))).Found, TimeSpan.FromSeconds(45), "the short-lived key to expire after the failover");
        }

        output.WriteLine($"killed {victim.Address} (pid {victim.ProcessId}, {lostMasters.Length} masters; overlord on {status.Overlord})");
        output.WriteLine($"{load.Acknowledged.Count} writes ({load.Acknowledged.Count - atKill} after the kill) and {load.Reads} reads acknowledged, {load.Failures.Count} failed; slowest operation {load.Slowest.TotalSeconds:0.00} s");
        foreach (var failure in load.Failures.Take(5))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(load.WrongReads);
        Assert.Empty(await load.FindLostAsync());
    }

    /// <summary>Waits until every range has <paramref name="replicas"/> replicas on live silos, all in sync with their master.</summary>
    private static Task WaitForReplicationFactorAsync(DimintClient client, int replicas) =>
        Wait.UntilAsync(
            async () =>
            {
                var status = await client.GetClusterStatusAsync();
                var up = status.Silos.Where(s => s.IsUp).Select(s => s.Address).ToHashSet();
                return status.Ranges.All(r => up.Contains(r.Range.Master) && r.Range.Replicas.Length == replicas
                    && r.Range.Replicas.All(up.Contains) && r.ReplicasInSync == replicas);
            },
            TimeSpan.FromSeconds(90),
            $"every range to have {replicas} replicas in sync");
}
