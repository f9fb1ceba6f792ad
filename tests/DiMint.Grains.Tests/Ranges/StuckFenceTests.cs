using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// A master fenced for an operation the overlord does not know (it restarted mid-operation, and its new activation
/// never ran it): after a few seconds the master asks the overlord, which bumps the ring's version so the old
/// activation can no longer publish, and the master lifts its fence; the writes it held go through.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class StuckFenceTests(InProcessClusterFixture fixture)
{
    [Fact]
    public async Task FenceOfAnOperationTheOverlordDoesNotKnow_IsLifted_AndTheHeldWriteIsApplied()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("stuck-fence");
        await client.SetAsync(key, "before");
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(key));

        // Operation 1 was never started by the overlord (it numbers its operations from Unix milliseconds).
        var fence = await fixture.Cluster.Client.GetGrain<IRangeGrain>(range.GrainKey).FenceAsync(1, range, TimeSpan.FromSeconds(5));
        Assert.True(fence.Ok, fence.Reason);

        // Held by the fence until the master learns the operation is off, well within the client's RequestTimeout (15 s).
        await client.SetAsync(key, "held");

        Assert.Equal("held", await client.GetAsync<string>(key));
        var after = await client.GetRingAsync(refresh: true);
        Assert.True(after.Version > ring.Version, $"the ring is still at version {after.Version}: nothing stops the operation's overlord from publishing");
        Assert.Equal(range.GrainKey, after.FindById(range.Id)!.GrainKey);
    }
}
