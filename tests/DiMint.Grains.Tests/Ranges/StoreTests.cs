using DiMint.Client;
using DiMint.Grains.Batching;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>Typed get/set through <see cref="DiMint.Client.DimintClient"/> against three in-process silos.</summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class StoreTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task OriginalReportExamples_RoundTripWithTheirTypes()
    {
        var client = fixture.Client;

        var stored = await client.SetAsync(1, new HashSet<int> { 1, 2, 3, 4, 5 });
        await client.SetAsync(2.0, new[] { 1, 2, 3, 4, 5 });
        await client.SetAsync("3", new Dictionary<string, string> { ["1"] = "1", ["2"] = "2", ["3"] = "3" });

        Assert.True(Assert.IsType<HashSet<object?>>(stored).SetEquals([1L, 2L, 3L, 4L, 5L]));
        Assert.True(Assert.IsType<HashSet<object?>>(await client.GetAsync("1")).SetEquals([1L, 2L, 3L, 4L, 5L]));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], Assert.IsType<List<object?>>(await client.GetAsync(2.0)));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, await client.GetAsync<int[]>("2"));
        Assert.Equal(new Dictionary<string, string> { ["1"] = "1", ["2"] = "2", ["3"] = "3" }, await client.GetAsync<Dictionary<string, string>>(3));
    }

    [Fact]
    public async Task MixedNestedValue_KeepsEveryType()
    {
        var key = TestKeys.Key("mixed");
        var value = new List<object?>
        {
            1, "1", 1.5, true, null, new byte[] { 0, 255 },
            new Dictionary<object, object?> { [1] = "int key", ["1"] = new HashSet<string> { "a" } },
        };

        await fixture.Client.SetAsync(key, value);
        var back = Assert.IsType<List<object?>>(await fixture.Client.GetAsync(key));

        Assert.Equal(1L, back[0]);
        Assert.Equal("1", back[1]);
        Assert.Equal(1.5, back[2]);
        Assert.Equal(true, back[3]);
        Assert.Null(back[4]);
        Assert.Equal(new byte[] { 0, 255 }, back[5]);
        var map = Assert.IsType<Dictionary<object, object?>>(back[6]);
        Assert.Equal("int key", map[1L]);
        Assert.True(Assert.IsType<HashSet<object?>>(map["1"]).SetEquals(["a"]));
    }

    [Fact]
    public async Task MissingKey_IsKeyNotFound_WhileStoredNullIsFound()
    {
        var client = fixture.Client;
        var missing = TestKeys.Key("missing");
        var nullKey = TestKeys.Key("null");
        await client.SetAsync(nullKey, null);

        Assert.Equal(missing, (await Assert.ThrowsAsync<DiMintKeyNotFoundException>(() => client.GetAsync(missing))).Key);
        Assert.False((await client.TryGetAsync<string>(missing)).Found);
        Assert.Equal((true, null), await client.TryGetAsync<string>(nullKey));
        Assert.True(await client.ExistsAsync(nullKey));
        Assert.False(await client.ExistsAsync(missing));
    }

    [Fact]
    public async Task Delete_RemovesTheKey_AndTellsWhetherItWasThere()
    {
        var client = fixture.Client;
        var key = TestKeys.Key("k");
        await client.SetAsync(key, "v");

        Assert.True(await client.DeleteAsync(key));
        Assert.False(await client.DeleteAsync(key));
        Assert.False(await client.ExistsAsync(key));
    }

    [Fact]
    public async Task OversizeKeyOrValue_IsRefused_AndNothingIsStored()
    {
        var client = fixture.NewClient(new DiMint.Client.DimintClientOptions { MaxValueBytes = 1024, MaxKeyBytes = 64 });
        var key = TestKeys.Key("big");

        var value = await Assert.ThrowsAsync<LimitExceededException>(() => client.SetAsync(key, new byte[2048]));
        Assert.Equal(LimitKind.ValueSize, value.Limit);
        var longKey = await Assert.ThrowsAsync<LimitExceededException>(() => client.SetAsync(new string('k', 65), 1));
        Assert.Equal(LimitKind.KeySize, longKey.Limit);
        Assert.False(await client.ExistsAsync(key));
    }

    [Fact]
    public async Task OversizeValue_IsRefusedByTheSilo_EvenWhenAClientSkipsItsCheck()
    {
        // The silos' own limit (16 MiB) holds whatever the client is configured with.
        var client = fixture.NewClient(new DiMint.Client.DimintClientOptions { MaxValueBytes = int.MaxValue });
        var key = TestKeys.Key("huge");

        var ex = await Assert.ThrowsAsync<LimitExceededException>(() => client.SetAsync(key, new byte[(16 * 1024 * 1024) + 1]));

        Assert.Equal(16 * 1024 * 1024, ex.Maximum);
        Assert.False(await client.ExistsAsync(key));
    }

    [Fact]
    public async Task OversizeValue_OnTheDataPort_IsRefusedByTheSilo_AndNothingIsStored()
    {
        // The client's fast path: the write goes to the master's data port, not as an Orleans call.
        var client = fixture.NewClient(new DimintClientOptions { MaxValueBytes = int.MaxValue });
        var key = TestKeys.Key("huge");
        var master = (await client.GetRingAsync(refresh: true)).Find(KeyHash.Of(key)).Master;
        var port = ((InProcessSiloHandle)fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(master)))
            .SiloHost.Services.GetRequiredService<DataPortListener>();
        var before = port.ClientRequests;
        await Wait.UntilAsync(
            async () =>
            {
                // The client connects to a data port on first use and sends as Orleans calls until it is up.
                await client.TryGetAsync<string>(key);
                return port.ClientRequests > before;
            },
            TimeSpan.FromSeconds(30),
            "the client's reads on the master's data port");
        var sent = port.ClientRequests;

        var ex = await Assert.ThrowsAsync<LimitExceededException>(() => client.SetAsync(key, new byte[(16 * 1024 * 1024) + 1]));

        Assert.Equal((LimitKind.ValueSize, 16L * 1024 * 1024), (ex.Limit, ex.Maximum));
        Assert.True(port.ClientRequests > sent, "the write did not go on the data port");
        Assert.False(await client.ExistsAsync(key));
        Assert.False((await fixture.NewClient().TryGetAsync<byte[]>(key)).Found);
    }

    [Fact]
    public async Task UnsupportedValue_IsRefusedBeforeSending()
    {
        var key = TestKeys.Key("stream");
        var ex = await Assert.ThrowsAsync<UnsupportedValueTypeException>(() => fixture.Client.SetAsync(key, new MemoryStream()));

        Assert.Equal(typeof(MemoryStream).FullName, ex.TypeName);
        Assert.False(await fixture.Client.ExistsAsync(key));
    }

    [Fact]
    public async Task NullOrEmptyKey_IsRefused()
    {
        await Assert.ThrowsAsync<InvalidKeyException>(() => fixture.Client.SetAsync("", 1));
        await Assert.ThrowsAsync<InvalidKeyException>(() => fixture.Client.GetAsync(null!));
    }

    [Fact]
    public async Task TypedRead_OfTheWrongType_IsAMismatch()
    {
        var key = TestKeys.Key("text");
        await fixture.Client.SetAsync(key, "not a number");

        var ex = await Assert.ThrowsAsync<ValueTypeMismatchException>(() => fixture.Client.GetAsync<long>(key));
        Assert.Equal("string", ex.StoredType);
    }

    [Fact]
    public async Task HundredThousandKeys_WrittenWithSetMany_AllReadBack_AndSpreadOverEverySilo()
    {
        var client = fixture.Client;
        var prefix = TestKeys.Prefix();
        var entries = Enumerable.Range(0, 100_000).ToDictionary(i => prefix + i, i => (object)i);

        await client.SetManyAsync(entries);
        var back = await client.GetManyAsync<long>(entries.Keys);

        Assert.Equal(entries.Count, back.Count);
        Assert.All(entries, e => Assert.Equal((long)(int)e.Value, back[e.Key]));

        var silos = await client.GetNodeStatusAsync();
        Assert.Equal(InProcessClusterFixture.SiloCount, silos.Count);
        Assert.All(silos, s => Assert.True(s.IsUp));
        Assert.All(silos, s => Assert.True(s.Keys >= 20_000, $"{s.Address} holds only {s.Keys} keys"));
        Assert.True(silos.Sum(s => s.Keys) >= entries.Count);
    }

    [Fact]
    public async Task GetMany_OmitsMissingKeys()
    {
        var a = TestKeys.Key("a");
        await fixture.Client.SetAsync(a, "x");

        var found = await fixture.Client.GetManyAsync([a, TestKeys.Key("nope")]);

        Assert.Equal(["x"], found.Values);
        Assert.Equal([a], found.Keys);
    }

    [Fact]
    public async Task RangesAreSpreadFairly_OverTheSilos()
    {
        var status = await fixture.Client.GetClusterStatusAsync();
        var perSilo = status.Silos.Select(s => s.MasterRanges).ToArray();

        Assert.Equal(InProcessClusterFixture.SiloCount, perSilo.Length);
        Assert.True(perSilo.Min() > 0);
        Assert.True(perSilo.Max() <= 2 * perSilo.Min(), $"ranges per silo: {string.Join(", ", perSilo)}");
        Assert.Equal(status.Ranges.Length, perSilo.Sum());
    }
}
