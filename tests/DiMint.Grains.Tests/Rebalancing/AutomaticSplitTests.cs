using DiMint.Testing;
using Xunit.Abstractions;

namespace DiMint.Grains.Tests.Rebalancing;

/// <summary>The policy on its own: skewed data is split until the design report's 2x rule holds.</summary>
[Trait("Category", "Cluster")]
[Collection(SkewedClusterCollection.Name)]
public sealed class AutomaticSplitTests(SkewedClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task KeysInANarrowHashRegion_AreSplitAutomatically_UntilNoRangeHoldsTwiceTheSmallest()
    {
        var client = fixture.NewClient();
        var before = await client.GetRingAsync(refresh: true);

        // Keys whose hashes all fall in the first 1/64 of the ring: one range gets everything.
        var keys = Enumerable.Range(0, 400_000).Select(i => TestKeys.Key($"k{i}")).Where(k => KeyHash.Of(k) < (1UL << 58)).Take(4_000).ToArray();
        var value = new string('v', 200);
        await client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, value)));

        // The rule, from the options: a range is split while it holds more than twice the bytes or the entries of the
        // smallest, which counts as at least SplitFloorBytes (and as many entries as that holds at the mean entry size).
        // The ranges outside the hot region stay empty, so the smallest is the floor: 128 KiB at most per range.
        const long MaxBytes = 2 * SkewedClusterFixture.SplitFloorBytes;
        ClusterStatus? status = null;
        long meanEntry = 0;
        await Wait.UntilAsync(
            async () =>
            {
                status = await client.GetClusterStatusAsync();
                var operations = await client.GetOperationsAsync();
                if (status.Ranges.Any(r => r.Keys < 0) || operations.Any(o => !o.IsFinished))
                {
                    // A master that did not answer (-1), or an operation under way.
                    return false;
                }

                meanEntry = status.Ranges.Sum(r => r.Bytes) / status.Ranges.Sum(r => r.Keys);
                var maxKeys = 2 * (SkewedClusterFixture.SplitFloorBytes / meanEntry);
                return status.Ranges.All(r => r.Bytes <= MaxBytes && r.Keys <= maxKeys);
            },
            TimeSpan.FromSeconds(120),
            "every range within 2x the smallest (floor 64 KiB)");

        var hot = status!.Ranges.Where(r => r.Range.Start < (1UL << 58)).ToArray();
        output.WriteLine($"{before.Ranges.Length} ranges before, {status.Ranges.Length} after; the hot region is now {hot.Length} ranges: {string.Join(", ", hot.Select(r => $"{r.Keys} keys/{r.Bytes} B"))}");
        Assert.All(status.Ranges.Except(hot), r => Assert.Equal(0, r.Keys));
        Assert.Equal(keys.Length, hot.Sum(r => r.Keys));

        // 4000 entries of a 200-character value each are over 800,000 bytes: at least 7 ranges of 128 KiB.
        Assert.True(hot.Length >= 7, $"the hot region was split ({hot.Length} ranges)");

        // Nor is it split further than the rule asks: a range is split only above the limit, at its byte median (within
        // an entry), and writes only add to the halves; the entries limit rounds the mean entry down, a few entries more.
        Assert.All(hot, r => Assert.True(r.Bytes >= (MaxBytes / 2) - (4 * meanEntry), $"range {r.Range.Id} holds only {r.Bytes} bytes"));

        var back = await client.GetManyAsync<string>(keys);
        Assert.Equal(keys.Length, back.Count);
        Assert.All(back.Values, v => Assert.Equal(value, v));
    }
}
