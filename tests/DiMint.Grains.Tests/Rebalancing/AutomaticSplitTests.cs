using DiMint.Grains.Hosting;
using DiMint.Grains.Rebalancing;
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

        var options = new RebalanceOptions { SplitFloorBytes = SkewedClusterFixture.SplitFloorBytes };
        ClusterStatus? status = null;
        await Wait.UntilAsync(
            async () =>
            {
                status = await client.GetClusterStatusAsync();
                var operations = await client.GetOperationsAsync();
                var sizes = status.Ranges.Select(r => new RangeSize(r.Keys, r.Bytes)).ToArray();
                var (bytes, count) = RebalancePlanner.SplitLimits(sizes, options);
                return sizes.All(s => s.Keys >= 0 && s.Bytes <= bytes && s.Keys <= count) && operations.All(o => o.IsFinished);
            },
            TimeSpan.FromSeconds(120),
            "every range within 2x the smallest (floor 64 KiB)");

        var hot = status!.Ranges.Where(r => r.Range.Start < (1UL << 58)).ToArray();
        output.WriteLine($"{before.Ranges.Length} ranges before, {status.Ranges.Length} after; the hot region is now {hot.Length} ranges: {string.Join(", ", hot.Select(r => $"{r.Keys} keys/{r.Bytes} B"))}");
        Assert.True(hot.Length >= 4, $"the hot region was split ({hot.Length} ranges)");
        Assert.Equal(keys.Length, status.Ranges.Sum(r => r.Keys));
        var back = await client.GetManyAsync<string>(keys);
        Assert.Equal(keys.Length, back.Count);
    }
}
