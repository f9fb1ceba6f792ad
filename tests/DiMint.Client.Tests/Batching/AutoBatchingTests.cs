using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Client.Tests.Batching;

/// <summary>
/// Concurrent single-key operations travel in automatic batches (one call per silo while another is in flight); each
/// caller still gets its own value, error and retries (3 in-process silos).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class AutoBatchingTests(InProcessClusterFixture fixture)
{
    [Theory]
    [InlineData(true, 128)]
    [InlineData(true, 2)]
    [InlineData(false, 128)]
    public async Task ConcurrentGetsAndSets_OverManyKeys_EachCallerGetsItsOwnAnswer(bool autoBatching, int maxOps)
    {
        var client = fixture.NewClient(new DimintClientOptions { AutoBatching = autoBatching, MaxAutoBatchOps = maxOps });
        var prefix = TestKeys.Prefix() + $"{autoBatching}/{maxOps}:";
        var keys = Enumerable.Range(0, 3000).Select(i => prefix + i).ToArray();
        await Task.WhenAll(keys.Select((k, i) => client.SetAsync(k, i)));

        // At once: reads of stored keys, reads of keys never stored, and overwrites of other keys.
        var reads = keys[1000..].Select(k => client.GetAsync<long>(k)).ToArray();
        var misses = Enumerable.Range(0, 500).Select(i => client.TryGetAsync<long>(prefix + "missing" + i)).ToArray();
        var overwrites = keys[..1000].Select(k => client.SetAsync(k, "new " + k)).ToArray();
        await Task.WhenAll(Task.WhenAll(reads), Task.WhenAll(misses), Task.WhenAll(overwrites));

        Assert.Equal(Enumerable.Range(1000, 2000).Select(i => (long)i), reads.Select(r => r.Result));
        Assert.All(misses, m => Assert.False(m.Result.Found));
        Assert.Equal(keys[..1000].Select(k => "new " + k), overwrites.Select(w => (string?)w.Result));
        var stored = await fixture.NewClient().GetManyAsync<string>(keys[..1000]);
        Assert.All(keys[..1000], k => Assert.Equal("new " + k, stored[k]));
    }

    [Fact]
    public async Task RangeSplitUnderABurst_EveryBatchedCaller_IsRedirectedTransparently()
    {
        var prefix = TestKeys.Prefix();
        var stale = fixture.NewClient();
        var entries = Enumerable.Range(0, 2000).ToDictionary(i => prefix + i, i => i);
        await stale.SetManyAsync(entries);
        var before = await stale.GetRingAsync();

        // Another client (an admin) splits the range holding the most of our keys; this client still has the old ring.
        var target = entries.Keys.GroupBy(k => before.Find(KeyHash.Of(k)).Id).MaxBy(g => g.Count())!;
        var after = await fixture.NewClient().SplitRangeAsync(target.Key);
        Assert.Equal(before.Version, (await stale.GetRingAsync()).Version);
        var taken = stale.RingsTaken;

        // Every key of the old range at once: half read, half overwritten. All of them reach the retired range first.
        var keys = target.ToArray();
        var reads = keys.Where((_, i) => i % 2 == 0).Select(k => (Key: k, Read: stale.GetAsync<long>(k))).ToArray();
        var written = keys.Where((_, i) => i % 2 == 1).ToArray();
        var writes = written.Select(k => stale.SetAsync(k, "after split")).ToArray();
        await Task.WhenAll(Task.WhenAll(reads.Select(r => r.Read)), Task.WhenAll(writes));

        Assert.All(reads, r => Assert.Equal(entries[r.Key], r.Read.Result));
        Assert.Equal(after.Version, (await stale.GetRingAsync()).Version);

        // The new ring came as what the split changed, applied to the client's own ring, not as the whole ring.
        Assert.True(stale.RingsTaken.Deltas > taken.Deltas, $"rings taken before {taken}, after {stale.RingsTaken}");
        var stored = await fixture.NewClient().GetManyAsync<string>(written);
        Assert.All(written, k => Assert.Equal("after split", stored[k]));
    }

    [Fact]
    public async Task OversizeValueInABurst_FailsOnlyItsCaller()
    {
        // A client whose value limit is above the silos' (16 MiB), with room for the value in a batch: the silo, not the
        // client's encoder, refuses it, inside a batch it shares with the burst.
        var client = fixture.NewClient(new DimintClientOptions { MaxValueBytes = 32 * 1024 * 1024, MaxAutoBatchBytes = 64 * 1024 * 1024 });
        var ring = await client.GetRingAsync(refresh: true);
        var prefix = TestKeys.Prefix();
        var range = ring.Find(KeyHash.Of(prefix + 0));
        var keys = Enumerable.Range(0, 5000).Select(i => prefix + i).Where(k => ring.Find(KeyHash.Of(k)).Id == range.Id).Take(100).ToArray();

        // The big value's range is another one of the same master: one call to that silo carries both ranges' writes.
        var bigKey = Enumerable.Range(0, 5000).Select(i => prefix + "big" + i)
            .First(k => ring.Find(KeyHash.Of(k)) is var other && other.Id != range.Id && other.Master.Equals(range.Master));
        var callsBefore = await WriteCallsAsync();

        var small = keys[..50].Select((k, i) => client.SetAsync(k, i)).ToList();
        var big = client.SetAsync(bigKey, new byte[16 * 1024 * 1024]);
        small.AddRange(keys[50..].Select((k, i) => client.SetAsync(k, 50 + i)));

        var error = await Assert.ThrowsAsync<LimitExceededException>(() => big);
        await Task.WhenAll(small);
        var calls = await WriteCallsAsync() - callsBefore;

        Assert.Equal(LimitKind.ValueSize, error.Limit);
        Assert.Equal(16 * 1024 * 1024, error.Maximum);
        Assert.False(await client.ExistsAsync(bigKey));
        var stored = await client.GetManyAsync<long>(keys);
        Assert.Equal(Enumerable.Range(0, keys.Length).Select(i => (long)i), keys.Select(k => stored[k]));

        // The 101 writes left together: the first alone, the rest as one call per range once it returned (a few more if
        // a batch came back before the burst was queued). One call per write, or per pair, would be over 50.
        Assert.True(calls <= 10, $"The silos served {calls} write calls for a burst of {keys.Length + 1} writes.");
    }

    [Fact]
    public async Task KeyOverTheSilosLimit_BatchedWithOthers_FailsOnlyItsCaller()
    {
        // A client configured with a larger key limit than the silos' (16 KiB): the silo refuses the batch holding the
        // long key, and the client sends its operations again one by one so only that caller fails.
        var client = fixture.NewClient(new DimintClientOptions { MaxKeyBytes = 64 * 1024 });
        var ring = await client.GetRingAsync(refresh: true);
        var prefix = TestKeys.Prefix();
        var range = ring.Find(KeyHash.Of(prefix + 0)).Id;
        var keys = Enumerable.Range(0, 5000).Select(i => prefix + i).Where(k => ring.Find(KeyHash.Of(k)).Id == range).Take(40).ToArray();
        var longKey = Enumerable.Range(0, 1000).Select(i => prefix + new string('k', 20_000) + i).First(k => ring.Find(KeyHash.Of(k)).Id == range);

        // The first write leaves alone; the long key and the rest queue behind it and leave together.
        var first = client.SetAsync(keys[0], 0);
        var refused = client.SetAsync(longKey, "too long");
        var rest = keys[1..].Select((k, i) => client.SetAsync(k, i + 1)).ToArray();

        var error = await Assert.ThrowsAsync<LimitExceededException>(() => refused);
        await Task.WhenAll(rest.Append(first));

        Assert.Equal(LimitKind.KeySize, error.Limit);
        var stored = await client.GetManyAsync<long>(keys);
        Assert.Equal(Enumerable.Range(0, keys.Length).Select(i => (long)i), keys.Select(k => stored[k]));
    }

    [Fact]
    public async Task SameKeySetTwiceWithoutWaiting_BothCallersSucceed_AndTheLaterCallWins()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("contested");
        var others = Enumerable.Range(0, 50).Select(i => client.SetAsync(TestKeys.Key($"other{i}"), i)).ToArray();

        var first = client.SetAsync(key, "first");
        var second = client.SetAsync(key, "second");
        await Task.WhenAll(others.Append(first).Append(second));

        Assert.Equal("first", await first);
        Assert.Equal("second", await second);
        Assert.Equal("second", await fixture.NewClient().GetAsync<string>(key));
    }

    [Fact]
    public async Task CallersCancellingInABurst_StopWaiting_AndTheOthersInTheirBatchesAreServed()
    {
        var client = fixture.NewClient();
        var prefix = TestKeys.Prefix();
        await client.SetManyAsync(Enumerable.Range(0, 400).ToDictionary(i => prefix + i, i => i));
        using var cancel = new CancellationTokenSource();

        // Every fourth caller gives up right after asking; the rest share batches with them. Nobody may be left waiting.
        var calls = Enumerable.Range(0, 400).Select(i => (Index: i, Read: client.GetAsync<long>(prefix + i, i % 4 == 0 ? cancel.Token : default))).ToArray();
        cancel.Cancel();
        await Wait.UntilAsync(() => calls.All(c => c.Read.IsCompleted), TimeSpan.FromSeconds(30), "every caller to be answered or cancelled", TimeSpan.FromMilliseconds(20));
        Assert.All(calls, c => Assert.True(c.Read.IsCompleted, $"caller {c.Index} is still waiting"));

        foreach (var (index, read) in calls)
        {
            if (index % 4 != 0)
            {
                Assert.Equal(index, await read);
            }
            else
            {
                // Answered before the cancellation, or told it was cancelled; never anything else.
                var outcome = await Record.ExceptionAsync(async () => Assert.Equal(index, await read));
                Assert.True(outcome is null or OperationCanceledException, outcome?.ToString());
            }
        }

        Assert.Equal(7L, await client.GetAsync<long>(prefix + 7));
    }

    [Fact]
    public async Task SameKeySetFromTwoThreadsAtOnce_EndsWithOneOfTheValues_OnTheMasterAndItsReplicas()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("raced");
        using var start = new ManualResetEventSlim();
        var a = Task.Run(() => { start.Wait(); return client.SetAsync(key, "a"); });
        var b = Task.Run(() => { start.Wait(); return client.SetAsync(key, "b"); });
        start.Set();
        await Task.WhenAll(a, b);

        var stored = await fixture.NewClient().GetAsync<string>(key);
        Assert.Contains(stored, new[] { "a", "b" });
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(key));
        var replicas = range.Replicas.Select(s => fixture.Cluster.Client.GetGrain<IRangeReplicaGrain>($"{range.Id}/{s.ToParsableString()}")).ToArray();
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var replica in replicas)
                {
                    var copy = await replica.GetAsync(key, ring.Version);
                    if (copy.Status != RangeStatus.Ok || ValueCodec.Decode(copy.Value) as string != stored)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(10),
            $"every replica to hold '{stored}', the master's value");
    }

    /// <summary>The range-grain write calls the silos have served (each a single write or one range's part of a batch).</summary>
    private async Task<long> WriteCallsAsync()
    {
        var loads = await Task.WhenAll(fixture.Cluster.Silos.Select(s => fixture.Cluster.Client.GetGrain<ISiloMetricsGrain>(s.SiloAddress.ToParsableString()).GetLoadAsync()));
        return loads.Sum(l => l.Writes);
    }
}
