using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// Counters and conditional writes against three in-process silos: atomic at the key's master under concurrent
/// clients, applied once however often a write is retried, and refused with a typed error (nothing changed) on a value
/// of the wrong type or an overflow.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class UpdateTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task ConcurrentIncrements_FromTwoClients_EachGetADistinctResult_AndNoneIsLost()
    {
        var (a, b) = (fixture.NewClient(), fixture.NewClient());
        var key = TestKeys.Key("counter");

        // Increments travel in the clients' batches on the data ports, as sets do (a new client's first batches go as
        // Orleans calls while it connects to them).
        async Task<long> DataPortBatchesAsync() => (await a.GetNodeStatusAsync()).Sum(n => n.DataPortClientBatches);
        var batchesBefore = await DataPortBatchesAsync();
        var warmUp = TestKeys.Key("warm-up");
        await Wait.UntilAsync(
            async () =>
            {
                await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).IncrementAsync(warmUp)));
                return await DataPortBatchesAsync() > batchesBefore;
            },
            TimeSpan.FromSeconds(30),
            "increments to arrive on the data ports");

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).IncrementAsync(key)));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Order());
        Assert.Equal(200L, await a.GetAsync<long>(key));
        Assert.Equal(190L, await b.IncrementAsync(key, -10));
    }

    [Fact]
    public async Task Increment_OfAMissingKey_StartsAtZero_AndKeepsTheExpiry()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("k");
        Assert.Equal(5L, await client.IncrementAsync(key, 5));

        await client.ExpireAsync(key, TimeSpan.FromMinutes(10));
        Assert.Equal(6L, await client.IncrementAsync(key));
        Assert.InRange((await client.GetTtlAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Increment_OfANonInteger_OrPastOverflow_IsRefused_AndChangesNothing()
    {
        var client = fixture.NewClient();
        var text = TestKeys.Key("text");
        var big = TestKeys.Key("big");
        var real = TestKeys.Key("double");
        await client.SetAsync(text, "12");
        await client.SetAsync(big, long.MaxValue - 1);
        await client.SetAsync(real, 1.5);

        var mismatch = await Assert.ThrowsAsync<ValueTypeMismatchException>(() => client.IncrementAsync(text));
        Assert.Equal("string", mismatch.StoredType);
        Assert.Equal("double", (await Assert.ThrowsAsync<ValueTypeMismatchException>(() => client.IncrementAsync(real))).StoredType);
        var overflow = await Assert.ThrowsAsync<IntegerOverflowException>(() => client.IncrementAsync(big, 2));
        Assert.Equal(DiMintErrorCode.IntegerOverflow, overflow.Code);

        Assert.Equal("12", await client.GetAsync<string>(text));
        Assert.Equal(long.MaxValue - 1, await client.GetAsync<long>(big));
        Assert.Equal(long.MaxValue, await client.IncrementAsync(big));
    }

    [Fact]
    public async Task RetriedIncrement_IsAppliedOnce_AndAnsweredWithItsOwnResult()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("retried");
        await client.SetAsync(key, 10);
        var ring = await client.GetRingAsync(refresh: true);
        var grain = fixture.Cluster.Client.GetGrain<IRangeGrain>(ring.Find(KeyHash.Of(key)).GrainKey);
        var ids = new WriteIds { ClientId = Random.Shared.NextInt64(1, long.MaxValue), Oldest = 7, Ids = [7] };
        var increment = new KeyUpdate { Kind = KeyUpdateKind.Increment, Delta = 1 };

        var first = await grain.UpdateAsync(key, increment, ring.Version, ids);
        await client.IncrementAsync(key, 100);

        // The same write again (its answer was lost): not applied twice, and answered 11, not the 111 stored now.
        var again = await grain.UpdateAsync(key, increment, ring.Version, ids);
        Assert.Equal(11L, ValueCodec.Decode(first.Current!));
        Assert.Equal(11L, ValueCodec.Decode(again.Current!));
        Assert.Equal(111L, await client.GetAsync<long>(key));
    }

    [Fact]
    public async Task SetIfNotExists_StoresForOneOfManyContenders()
    {
        var (a, b) = (fixture.NewClient(), fixture.NewClient());
        var key = TestKeys.Key("lock");
        var won = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).SetIfNotExistsAsync(key, $"owner-{i}", TimeSpan.FromMinutes(1))));

        var winner = Assert.Single(Enumerable.Range(0, 20), i => won[i]);
        Assert.Equal($"owner-{winner}", await a.GetAsync<string>(key));
        Assert.NotNull(await a.GetTtlAsync(key));
        Assert.False(await b.SetIfNotExistsAsync(key, "late"));
    }

    [Fact]
    public async Task CompareAndSet_OnTheVersion_StoresOnlyOverTheValueRead()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("cas");
        await client.SetAsync(key, new List<string> { "a" });
        var (value, version) = await client.GetWithVersionAsync<List<string>>(key);
        Assert.Equal(["a"], value);

        Assert.True(await client.SetIfVersionAsync(key, new List<string> { "a", "b" }, version));
        Assert.False(await client.SetIfVersionAsync(key, new List<string> { "a", "c" }, version));
        Assert.Equal(["a", "b"], await client.GetAsync<List<string>>(key));
        Assert.False(await client.SetIfVersionAsync(TestKeys.Key("missing"), 1, version));
    }

    [Fact]
    public async Task CompareAndSetLoops_FromTwoClients_LoseNoUpdate()
    {
        var (a, b) = (fixture.NewClient(), fixture.NewClient());
        var key = TestKeys.Key("cas-counter");
        await a.SetAsync(key, 0);

        static async Task AddOneAsync(DimintClient client, string key)
        {
            while (true)
            {
                var (value, version) = await client.GetWithVersionAsync<long>(key);
                if (await client.SetIfVersionAsync(key, value + 1, version))
                {
                    return;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => AddOneAsync(i % 2 == 0 ? a : b, key)));
        Assert.Equal(40L, await a.GetAsync<long>(key));
    }
}
