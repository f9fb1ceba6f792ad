using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Batching;

/// <summary>
/// A client inside a silo (its Redis-protocol port's) with that silo's <see cref="ILocalBatches"/>: the batches for the
/// silo's own ranges run in-process, not on its data port, and every read, write and update is answered as before.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class LocalBatchesTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task BatchesForTheClientsOwnSilo_RunInProcess_AndAnswerAsOnTheDataPort()
    {
        var local = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).SiloHost.Services.GetRequiredService<ILocalBatches>();
        var client = fixture.NewClient(new DimintClientOptions { LocalBatches = local });
        var ring = await client.GetRingAsync(refresh: true);
        var keys = Enumerable.Range(0, 300).Select(i => TestKeys.Key($"{i}")).ToArray();
        Assert.Contains(keys, k => ring.Find(KeyHash.Of(k)).Master.Equals(local.Silo));
        Assert.Contains(keys, k => !ring.Find(KeyHash.Of(k)).Master.Equals(local.Silo));
        var before = await DataPortBatchesAsync(client, local.Silo);

        await Task.WhenAll(keys.Select(k => client.SetAsync(k, k)));
        Assert.Equal(keys, await Task.WhenAll(keys.Select(k => client.GetAsync<string>(k))));
        Assert.All(await Task.WhenAll(keys.Select(k => client.IncrementAsync($"{k}:n", 2))), n => Assert.Equal(2L, n));
        await Assert.ThrowsAsync<ValueTypeMismatchException>(() => client.IncrementAsync(keys.First(k => ring.Find(KeyHash.Of(k)).Master.Equals(local.Silo))));

        // Its own silo's data port saw none of it; the other silos' did.
        Assert.Equal(before, await DataPortBatchesAsync(client, local.Silo));
        Assert.Equal(keys, await Task.WhenAll(keys.Select(k => fixture.NewClient().GetAsync<string>(k))));
    }

    private static async Task<long> DataPortBatchesAsync(DimintClient client, SiloAddress silo) =>
        (await client.GetNodeStatusAsync()).Single(n => n.Address.Equals(silo)).DataPortClientBatches;
}
