using DiMint.Client;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// Two overlords, one after the other, across a partition: while this one's ring operation holds its range's master in
/// the fence, another overlord (on the other side) publishes a ring, as its resolution of that fence does (it rolls the
/// operation back on the master and bumps the ring's version). This overlord then takes the stored ring; its operation
/// must roll back instead of publishing its switch onto that ring. The other overlord is played by a write to the ring's
/// storage, with the compare-and-swap any overlord's publication makes.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class ForeignRingTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task MasterMove_WhoseFenceOutlivesAnotherOverlordsRing_RollsBack_AndPublishesNothing()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("foreign-ring");
        await client.SetAsync(key, "before");
        var range = (await client.GetRingAsync(refresh: true)).Find(KeyHash.Of(key));
        var target = range.Replicas[0];

        RingOperationInfo started;
        long foreignVersion;
        using (CallGate.Close(range.GrainKey, nameof(IRangeGrain.FenceAsync)))
        {
            started = await client.StartMoveAsync(range.Id, target);
            await Wait.UntilAsync(
                async () => await client.GetOperationAsync(started.Id) is { State: RingOperationState.Fencing },
                TimeSpan.FromSeconds(10),
                "the move to enter its fence",
                TimeSpan.FromMilliseconds(10));

            foreignVersion = await PublishAsAnotherOverlordAsync();
            var taken = await fixture.Cluster.Client.GetGrain<IOverlordGrain>(GrainKeys.Overlord).ReloadRingAsync();
            Assert.Equal(foreignVersion, taken.Version);
        }

        var ended = await Assert.ThrowsAsync<RingOperationException>(() => client.WaitForOperationAsync(started.Id).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(DiMintErrorCode.OperationRolledBack, ended.Code);
        var after = await client.GetRingAsync(refresh: true);
        Assert.Equal(foreignVersion, after.Version);
        Assert.Equal(range.GrainKey, after.FindById(range.Id)!.GrainKey);

        // The range's master took its fence down and serves reads and writes.
        Assert.Equal("before", await client.GetAsync<string>(key));
        await client.SetAsync(key, "after");
        Assert.Equal("after", await client.GetAsync<string>(key));
    }

    /// <summary>Stores the ring again, one version newer, as another overlord's publication would; returns that version.</summary>
    private async Task<long> PublishAsAnotherOverlordAsync()
    {
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).SiloHost.Services;
        var storage = services.GetRequiredKeyedService<IGrainStorage>(DiMintStorage.Ring);
        var overlord = fixture.Cluster.Client.GetGrain<IOverlordGrain>(GrainKeys.Overlord).GetGrainId();
        var stored = new RingState();
        var state = new GrainState<RingState>(stored);
        await storage.ReadStateAsync("ring", overlord, state);
        var ring = (state.State ?? stored).Ring ?? throw new InvalidOperationException("No ring is stored.");
        state.State = new RingState { Ring = ring with { Version = ring.Version + 1 } };
        await storage.WriteStateAsync("ring", overlord, state);
        return ring.Version + 1;
    }
}
