using DiMint.Grains.Hosting;
using DiMint.Grains.Ranges;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// When a master's silo is killed, the replica promoted in its place sends the other replica the writes it lacks from
/// the log it kept as a replica, instead of a snapshot of the whole range: after a failover both copies serve at once
/// (3 in-process silos, the ring in files so it outlives any silo).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(PromotionClusterCollection.Name)]
public sealed class PromotionResumeTests(PromotionClusterFixture fixture)
{
    [Fact]
    public async Task PromotedReplica_CatchesTheLaggingReplicaUpFromItsLog_WithoutASnapshot()
    {
        var client = fixture.Client;
        var status = await client.GetClusterStatusAsync();
        var ring = await client.GetRingAsync(refresh: true);

        // A range whose master is not the overlord's silo, so the kill leaves the overlord in place.
        var range = ring.Ranges.First(r => !r.Master.Equals(status.Overlord));
        var keys = Enumerable.Range(0, 50_000).Select(i => TestKeys.Key($"resume{i}")).Where(k => range.Contains(KeyHash.Of(k))).Take(400).ToArray();
        var (early, late) = (keys[..300], keys[300..]);
        await client.SetManyAsync(early.Select(k => KeyValuePair.Create(k, "early")));
        await HeldReplicas.WaitInSyncAsync(client, range.Id);

        // One replica loses its batches; the other acknowledges the late writes with the master.
        var (ahead, behind) = (range.Replicas[0], range.Replicas[1]);
        var behindStore = Services(behind).GetRequiredService<RangeStore>();
        Assert.True(behindStore.TryGet(range.Id, out var behindCopy));
        RangeData? aheadCopy;
        using (await HeldReplicas.HoldAsync(fixture, range, only: behind, refuse: true))
        {
            await client.SetManyAsync(late.Select(k => KeyValuePair.Create(k, "late")));
            Assert.True(Services(ahead).GetRequiredService<RangeStore>().TryGet(range.Id, out aheadCopy));
            Assert.True(aheadCopy!.AppliedSeq > behindCopy.AppliedSeq, $"the replica on {ahead} ({aheadCopy.AppliedSeq}) is not ahead of the held one ({behindCopy.AppliedSeq})");

            await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(range.Master)));
            await Wait.UntilAsync(
                async () => (await client.GetRingAsync(refresh: true)).FindById(range.Id)?.Master.Equals(range.Master) == false,
                TimeSpan.FromSeconds(30),
                $"range {range.Id} to be promoted");
        }

        // The most advanced copy was promoted, and the held replica, let go, catches up from it.
        Assert.Equal(ahead, (await client.GetRingAsync(refresh: true)).FindById(range.Id)!.Master);
        await Wait.UntilAsync(
            () => behindStore.TryGet(range.Id, out var copy) && copy.AppliedSeq == aheadCopy.AppliedSeq && copy.SourceEpoch > range.Epoch,
            TimeSpan.FromSeconds(20),
            "the lagging replica to follow the new master and hold every write");

        // From the log: the copy it held before is the one it holds now (a snapshot would have replaced it), with the late writes.
        Assert.True(behindStore.TryGet(range.Id, out var after));
        Assert.Same(behindCopy, after);
        Assert.All(late, k => Assert.True(after.TryGetApplied(k, out _), $"{k} is missing on the caught-up replica"));
        var values = await client.GetManyAsync<string>(keys);
        Assert.All(early, k => Assert.Equal("early", values[k]));
        Assert.All(late, k => Assert.Equal("late", values[k]));
    }

    private IServiceProvider Services(SiloAddress silo) =>
        ((InProcessSiloHandle)fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(silo))).SiloHost.Services;
}

/// <summary>Three in-process silos whose ring and overlord lease live in a folder of their own.</summary>
public sealed class PromotionClusterFixture : InProcessClusterFixture
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"dimint-promotion-{Environment.ProcessId}-{Guid.NewGuid():N}");

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        [RingDirectorySetting] = Folder,
    };
}

[CollectionDefinition(Name)]
public sealed class PromotionClusterCollection : ICollectionFixture<PromotionClusterFixture>
{
    public const string Name = "Promotion cluster";
}
