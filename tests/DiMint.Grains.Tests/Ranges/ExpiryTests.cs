using System.Diagnostics;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// Keys with an expiry against three in-process silos (one replica per range): read until they expire, then gone on the
/// master and on the replica; reclaimed without a reader; expiry changed, read and taken off; kept through a split.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class ExpiryTests(InProcessClusterFixture fixture)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(800);

    [Fact]
    public async Task KeyWithTtl_IsServedUntilItExpires_ThenGoneForMasterAndReplicaReaders()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("session");
        var written = Stopwatch.StartNew();
        Assert.Equal("alive", await client.SetAsync(key, "alive", Short));

        Assert.Equal("alive", await client.GetAsync<string>(key));
        var left = await client.GetTtlAsync(key);
        Assert.NotNull(left);
        Assert.InRange(left.Value, TimeSpan.FromMilliseconds(1), Short);
        Assert.True((await client.TryGetAsync<string>(key, ReadPreference.Replica)).Found, "the replica did not serve the key before it expired");

        await Wait.UntilAsync(async () => !(await client.TryGetAsync<string>(key)).Found, TimeSpan.FromSeconds(10), "the key to expire", TimeSpan.FromMilliseconds(20));
        Assert.True(written.Elapsed >= Short, $"the key was gone {written.Elapsed.TotalMilliseconds:0} ms after its write began, before its {Short.TotalMilliseconds} ms expiry");
        Assert.False((await client.TryGetAsync<string>(key, ReadPreference.Replica)).Found, "the replica still served the key after the master found it expired");
        Assert.False(await client.ExistsAsync(key));
        await Assert.ThrowsAsync<DiMintKeyNotFoundException>(() => client.GetTtlAsync(key));
    }

    [Fact]
    public async Task ExpiredKeys_AreReclaimed_WithoutAReader()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Ranges[^1];
        var keys = Enumerable.Range(0, 100_000).Select(i => TestKeys.Key($"{i}")).Where(k => range.Contains(KeyHash.Of(k))).Take(300).ToArray();
        var before = await KeysInAsync(client, range.Id);

        await Task.WhenAll(keys.Select(k => client.SetAsync(k, "short-lived", Short)));
        Assert.Equal(before + keys.Length, await KeysInAsync(client, range.Id));

        // Nobody reads them: the master's active expiry deletes them, and its replica with it.
        await Wait.UntilAsync(async () => await KeysInAsync(client, range.Id) == before, TimeSpan.FromSeconds(15), "the expired keys to be reclaimed");
        await Wait.UntilAsync(
            async () => (await client.GetClusterStatusAsync()).Ranges.Single(r => r.Range.Id == range.Id) is { ReplicaLag: 0 },
            TimeSpan.FromSeconds(15),
            "the replica to apply the deletes");
    }

    [Fact]
    public async Task Expire_Persist_AndTtl_ChangeAndTellTheExpiry()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("k");
        var missing = TestKeys.Key("missing");
        await client.SetAsync(key, 42);

        Assert.Null(await client.GetTtlAsync(key));
        Assert.True(await client.ExpireAsync(key, TimeSpan.FromMinutes(10)));
        Assert.InRange((await client.GetTtlAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal(42L, await client.GetAsync<long>(key));

        Assert.True(await client.PersistAsync(key));
        Assert.Null(await client.GetTtlAsync(key));
        Assert.False(await client.PersistAsync(key));

        await client.SetAsync(key, "again", TimeSpan.FromMinutes(5));
        await client.SetAsync(key, "plain");
        Assert.Null(await client.GetTtlAsync(key));

        Assert.False(await client.ExpireAsync(missing, TimeSpan.FromMinutes(1)));
        Assert.False(await client.PersistAsync(missing));
        Assert.False(await client.ExistsAsync(missing));
    }

    [Fact]
    public async Task InvalidExpiry_IsRefused_AndChangesNothing()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("k");
        await client.SetAsync(key, "kept");

        foreach (var ttl in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.FromDays(40_000) })
        {
            var error = await Assert.ThrowsAsync<InvalidExpiryException>(() => client.SetAsync(key, "new", ttl));
            Assert.Equal(DiMintErrorCode.InvalidExpiry, error.Code);
            await Assert.ThrowsAsync<InvalidExpiryException>(() => client.ExpireAsync(key, ttl));
        }

        // Past the client's check, the master refuses it the same way.
        var ring = await client.GetRingAsync(refresh: true);
        await Assert.ThrowsAsync<InvalidExpiryException>(() => fixture.Cluster.Client.GetGrain<IRangeGrain>(ring.Find(KeyHash.Of(key)).GrainKey)
            .UpdateAsync(key, new KeyUpdate { Kind = KeyUpdateKind.Expire, Ttl = TimeSpan.FromSeconds(-5) }, ring.Version));

        Assert.Equal("kept", await client.GetAsync<string>(key));
        Assert.Null(await client.GetTtlAsync(key));
    }

    [Fact]
    public async Task Expiry_TravelsWithASplit()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Ranges[0];
        var keys = Enumerable.Range(0, 100_000).Select(i => TestKeys.Key($"{i}")).Where(k => range.Contains(KeyHash.Of(k))).Take(200).ToArray();
        var (lasting, shortLived) = (keys[..100], keys[100..]);
        await Task.WhenAll(lasting.Select(k => client.SetAsync(k, "lasting", TimeSpan.FromMinutes(30))));
        await Task.WhenAll(shortLived.Select(k => client.SetAsync(k, "short", TimeSpan.FromSeconds(3))));

        await client.SplitRangeAsync(range.Id);
        var split = await client.GetRingAsync(refresh: true);
        Assert.Equal(2, keys.Select(k => split.Find(KeyHash.Of(k)).GrainKey).Distinct().Count());
        Assert.DoesNotContain(range.GrainKey, keys.Select(k => split.Find(KeyHash.Of(k)).GrainKey));

        foreach (var key in lasting)
        {
            Assert.InRange((await client.GetTtlAsync(key))!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        }

        await Wait.UntilAsync(
            async () => (await Task.WhenAll(shortLived.Select(k => client.TryGetAsync<string>(k)))).All(r => !r.Found),
            TimeSpan.FromSeconds(20),
            "the short-lived keys to expire in the split's halves");
        Assert.All(await Task.WhenAll(lasting.Select(k => client.GetAsync<string>(k))), v => Assert.Equal("lasting", v));
    }

    private static async Task<long> KeysInAsync(DimintClient client, int rangeId) =>
        (await client.GetClusterStatusAsync()).Ranges.Single(r => r.Range.Id == rangeId).Keys;
}
