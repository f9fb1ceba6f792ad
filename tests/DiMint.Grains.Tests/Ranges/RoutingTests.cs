using DiMint.Testing;
using DiMint.Testing.Cluster;
using Orleans.Core.Internal;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>Routing by ring version: stale clients are redirected, rings from the future are refused.</summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class RoutingTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task StaleRing_IsCorrectedByTheClientTransparently()
    {
        var prefix = TestKeys.Prefix();
        var stale = fixture.NewClient();
        var entries = Enumerable.Range(0, 2000).ToDictionary(i => prefix + i, i => (object)i);
        await stale.SetManyAsync(entries);
        var before = await stale.GetRingAsync();

        // Another client (an admin) splits the range holding the most of our keys.
        var target = entries.Keys.GroupBy(k => before.Find(KeyHash.Of(k)).Id).MaxBy(g => g.Count())!;
        var after = await fixture.NewClient().SplitRangeAsync(target.Key);
        Assert.True(after.Version > before.Version);
        Assert.Equal(before.Version, (await stale.GetRingAsync()).Version);

        // The stale client reads and writes keys of both halves without noticing anything but the redirect.
        foreach (var key in target)
        {
            Assert.Equal((long)(int)entries[key], await stale.GetAsync<long>(key));
        }

        await stale.SetManyAsync(target.ToDictionary(k => k, _ => (object)"updated"));
        Assert.Equal(after.Version, (await stale.GetRingAsync()).Version);
        var halves = target.Select(k => after.Find(KeyHash.Of(k)).Id).Distinct().ToArray();
        Assert.Equal(2, halves.Length);
        var back = await fixture.Client.GetManyAsync<string>(target.Cast<object>());
        Assert.All(target, k => Assert.Equal("updated", back[k]));
    }

    [Fact]
    public async Task Split_KeepsEveryKeyInExactlyOneRange()
    {
        var prefix = TestKeys.Prefix();
        var client = fixture.NewClient();
        var entries = Enumerable.Range(0, 1000).ToDictionary(i => prefix + i, i => (object)(prefix + i));
        await client.SetManyAsync(entries);
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(entries.Keys.First()));
        var inRange = entries.Keys.Where(k => range.Contains(KeyHash.Of(k))).ToArray();
        // The range also holds keys of earlier tests: its own count is what the halves must add up to.
        var held = (await client.GetClusterStatusAsync()).Ranges.Single(r => r.Range.Id == range.Id).Keys;

        var next = await client.SplitRangeAsync(range.Id);

        var status = await client.GetClusterStatusAsync();
        var halves = status.Ranges.Where(r => range.Contains(r.Range.Start)).ToArray();
        Assert.Equal(2, halves.Length);
        Assert.True(halves.All(h => h.Keys > 0), "the default split point divides the data");
        Assert.Equal(held, halves.Sum(h => h.Keys));
        Assert.Equal(next.Version, status.RingVersion);

        // Each of our keys is served by one half, and the other half answers Moved.
        var grains = halves.Select(h => fixture.Cluster.Client.GetGrain<IRangeGrain>(h.Range.GrainKey)).ToArray();
        foreach (var key in inRange)
        {
            var answers = await Task.WhenAll(grains.Select(g => g.GetAsync(key, next.Version)));
            Assert.Equal([RangeStatus.Ok, RangeStatus.Moved], answers.Select(a => a.Status).Order());
        }

        var back = await client.GetManyAsync<string>(entries.Keys);
        Assert.Equal(entries.Count, back.Count);
        Assert.All(entries, e => Assert.Equal(e.Value, back[e.Key]));
    }

    [Fact]
    public async Task Split_WithBadArguments_IsRefused_AndTheRingIsUnchanged()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Ranges[1];

        var unknown = await Assert.ThrowsAsync<RingOperationException>(() => client.SplitRangeAsync(99_999));
        var outside = await Assert.ThrowsAsync<RingOperationException>(() => client.SplitRangeAsync(range.Id, range.Start));

        Assert.Equal(DiMintErrorCode.UnknownRange, unknown.Code);
        Assert.Equal(DiMintErrorCode.InvalidRingOperation, outside.Code);
        Assert.Equal(ring.Version, (await client.GetRingAsync(refresh: true)).Version);
    }

    [Fact]
    public async Task RingVersionFromTheFuture_IsRefused()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var key = TestKeys.Key("k");
        var grain = fixture.Cluster.Client.GetGrain<IRangeGrain>(ring.Find(KeyHash.Of(key)).GrainKey);

        var ex = await Assert.ThrowsAsync<RingVersionException>(() => grain.SetAsync(key, ValueCodec.Encode(1), ring.Version + 1000));

        Assert.Equal(ring.Version + 1000, ex.Requested);
        Assert.False(await fixture.Client.ExistsAsync(key));
    }

    [Fact]
    public async Task RangeData_OutlivesTheGrainActivation()
    {
        var key = TestKeys.Key("survivor");
        await fixture.Client.SetAsync(key, "still here");
        var ring = await fixture.Client.GetRingAsync();
        var grain = fixture.Cluster.Client.GetGrain<IRangeGrain>(ring.Find(KeyHash.Of(key)).GrainKey);
        var before = await grain.GetStatsAsync();

        var management = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        async Task<bool> IsActive() =>
            (await management.GetActiveGrains(GrainType.Create("range"))).Any(id => id.Key.ToString() == grain.GetPrimaryKeyString());
        Assert.True(await IsActive());

        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Wait.UntilAsync(
            async () => !await IsActive(),
            TimeSpan.FromSeconds(10),
            "the range grain to deactivate");

        Assert.Equal("still here", await fixture.Client.GetAsync<string>(key));
        Assert.Equal(before.Keys, (await grain.GetStatsAsync()).Keys);
    }
}
