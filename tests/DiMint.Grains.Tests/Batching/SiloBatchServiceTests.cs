using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Batching;

/// <summary>
/// A silo's batch service runs each range's part on that silo (reads of its masters directly, the rest through the
/// range grains), and one part's failure stays in that part.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class SiloBatchServiceTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task PartOverTheLimit_FailsThatPartOnly_AndStoresNoneOfIt()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var prefix = TestKeys.Prefix();
        var (first, second) = TwoRangesOfOneSilo(ring);
        var good = KeysOf(ring, first, prefix, 5);
        var doomed = KeysOf(ring, second, prefix, 5);
        var tooLong = Enumerable.Range(0, 1000).Select(i => prefix + new string('k', 20_000) + i).First(k => ring.Find(KeyHash.Of(k)).Id == second.Id);
        var value = ValueCodec.Encode("v");

        var results = await BatchServiceOf(first).ExecuteAsync(
            [
                new RangeBatch { GrainKey = first.GrainKey, WriteKeys = good, WriteValues = [.. good.Select(_ => value)] },
                new RangeBatch { GrainKey = second.GrainKey, WriteKeys = [.. doomed, tooLong], WriteValues = [.. doomed.Select(_ => value), value] },
            ],
            ring.Version);

        Assert.Equal(2, results.Length);
        Assert.Equal(RangeStatus.Ok, results[0].Writes?.Status);
        Assert.Null(results[0].WriteError);
        var error = Assert.IsType<LimitExceededException>(results[1].WriteError);
        Assert.Equal(LimitKind.KeySize, error.Limit);
        Assert.Equal(good.Length, (await fixture.Client.GetManyAsync(good)).Count);
        Assert.Empty(await fixture.Client.GetManyAsync(doomed));
    }

    [Fact]
    public async Task ReadsAndWritesOfSeveralRanges_AreAnsweredPerPart_InOrder()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var prefix = TestKeys.Prefix();
        var (first, second) = TwoRangesOfOneSilo(ring);
        var stored = KeysOf(ring, first, prefix, 3);
        await fixture.Client.SetManyAsync(stored.ToDictionary(k => k, k => k));
        var absent = KeysOf(ring, first, prefix + "absent:", 1)[0];
        var written = KeysOf(ring, second, prefix, 3);

        var results = await BatchServiceOf(first).ExecuteAsync(
            [
                new RangeBatch { GrainKey = first.GrainKey, ReadKeys = [.. stored, absent] },
                new RangeBatch { GrainKey = second.GrainKey, WriteKeys = [written[0], written[0], written[1]], WriteValues = [ValueCodec.Encode(1), ValueCodec.Encode(2), ValueCodec.Encode(3)] },
            ],
            ring.Version);

        Assert.Null(results[0].ReadError);
        Assert.Equal(RangeStatus.Ok, results[0].Reads?.Status);
        var values = results[0].Reads!.Values!;
        Assert.Equal(stored, values[..3].Select(v => (string?)ValueCodec.Decode(v)));
        Assert.Null(values[3]);
        Assert.Equal(RangeStatus.Ok, results[1].Writes?.Status);
        Assert.Null(results[1].Reads);
        Assert.Equal(2L, await fixture.Client.GetAsync<long>(written[0]));
        Assert.Equal(3L, await fixture.Client.GetAsync<long>(written[1]));
    }

    [Fact]
    public async Task PartForARangeThatWasSplit_IsAnsweredMoved_WithTheNewRing()
    {
        var (client, entries, before, range, keys, after) = await SplitAfterStoringAsync();

        var results = await BatchServiceOf(range).ExecuteAsync(
            [new RangeBatch { GrainKey = range.GrainKey, ReadKeys = keys, WriteKeys = [keys[0]], WriteValues = [ValueCodec.Encode("lost")] }],
            before.Version);

        Assert.Equal(RangeStatus.Moved, results[0].Reads?.Status);
        Assert.Equal(RangeStatus.Moved, results[0].Writes?.Status);
        Assert.True(results[0].Reads!.Ring!.Version >= after.Version);
        Assert.Equal(entries[keys[0]], await client.GetAsync<long>(keys[0]));
    }

    [Fact]
    public async Task ReadsForARangeThatWasSplit_AreAnsweredMoved_NotFromTheRetiredCopy()
    {
        var (_, _, before, range, keys, after) = await SplitAfterStoringAsync();

        var results = await BatchServiceOf(range).ExecuteAsync([new RangeBatch { GrainKey = range.GrainKey, ReadKeys = keys }], before.Version);

        Assert.Equal(RangeStatus.Moved, results[0].Reads?.Status);
        Assert.True(results[0].Reads!.Ring!.Version >= after.Version);
    }

    [Fact]
    public async Task EachSilosGateway_ServesTheBatchOnThatSilo_AndASiloAddressIsForwardedThere()
    {
        foreach (var silo in fixture.Cluster.Silos)
        {
            Assert.Equal(silo.SiloAddress, await fixture.BatchServiceAt(silo).GetSiloAsync());
            var forwarded = fixture.Cluster.Client.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo.SiloAddress));
            Assert.Equal(silo.SiloAddress, await forwarded.GetSiloAsync());
        }
    }

    [Fact]
    public async Task ReadsSentToAnotherSilo_AreServedThroughTheRangeGrain()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var prefix = TestKeys.Prefix();
        var range = ring.Ranges[0];
        var keys = KeysOf(ring, range, prefix, 3);
        await fixture.Client.SetManyAsync(keys.ToDictionary(k => k, k => k));
        var absent = KeysOf(ring, range, prefix + "absent:", 1)[0];
        var other = fixture.Cluster.Silos.First(s => !s.SiloAddress.Equals(range.Master));

        var results = await fixture.BatchServiceAt(other).ExecuteAsync([new RangeBatch { GrainKey = range.GrainKey, ReadKeys = [.. keys, absent] }], ring.Version);

        Assert.Null(results[0].ReadError);
        Assert.Equal(RangeStatus.Ok, results[0].Reads?.Status);
        Assert.Equal([.. keys, null], results[0].Reads!.Values!.Select(v => v is null ? null : (string?)ValueCodec.Decode(v)));
    }

    /// <summary>Stores 500 keys, then splits the range of the first: the ring before and after, and 4 keys of that range.</summary>
    private async Task<(DimintClient Client, Dictionary<string, int> Entries, Ring Before, RangeInfo Range, string[] Keys, Ring After)> SplitAfterStoringAsync()
    {
        var client = fixture.NewClient();
        var prefix = TestKeys.Prefix();
        var entries = Enumerable.Range(0, 500).ToDictionary(i => prefix + i, i => i);
        await client.SetManyAsync(entries);
        var before = await client.GetRingAsync(refresh: true);
        var range = before.Find(KeyHash.Of(prefix + 0));
        var keys = entries.Keys.Where(k => range.Contains(KeyHash.Of(k))).Take(4).ToArray();
        return (client, entries, before, range, keys, await client.SplitRangeAsync(range.Id));
    }

    private ISiloBatchService BatchServiceOf(RangeInfo range) =>
        fixture.BatchServiceAt(fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(range.Master)));

    private static (RangeInfo First, RangeInfo Second) TwoRangesOfOneSilo(Ring ring)
    {
        var pair = ring.Ranges.GroupBy(r => r.Master).First(g => g.Count() >= 2).Take(2).ToArray();
        return (pair[0], pair[1]);
    }

    private static string[] KeysOf(Ring ring, RangeInfo range, string prefix, int count) =>
        [.. Enumerable.Range(0, 100_000).Select(i => $"{prefix}{range.Id}:{i}").Where(k => ring.Find(KeyHash.Of(k)).Id == range.Id).Take(count)];
}
