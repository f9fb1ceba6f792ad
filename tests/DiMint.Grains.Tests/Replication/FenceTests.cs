using System.Net;
using System.Net.Sockets;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// A replica fenced for a promotion answers once its promise to the old master has run out, or at once when the old
/// master it promised is a silo whose port refuses connections (its runtime is gone, and with it every read it could
/// serve): how a killed master's ranges fail over without waiting out the lease. 3 in-process silos with a 20 s lease,
/// so a fence that waits is still waiting when the test looks.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(LongLeaseClusterCollection.Name)]
public sealed class FenceTests(LongLeaseClusterFixture fixture)
{
    [Fact]
    public async Task Fence_PromisedToAMasterWhoseSiloPortRefuses_AnswersAtOnce_WhileOthersWaitOutTheirPromise()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var (gone, live, other) = (ring.Ranges[0], ring.Ranges[1], ring.Ranges[2]);
        foreach (var range in new[] { gone, live, other })
        {
            // A write each, so the replicas promise their master (at the range's epoch) just now.
            var key = Enumerable.Range(0, 100_000).Select(i => TestKeys.Key($"{i}")).First(k => range.Contains(KeyHash.Of(k)));
            await fixture.Client.SetAsync(key, "promised");
        }

        // Every replica holds its complete copy (a write waits for one of the two), so each has promised.
        await Wait.UntilAsync(
            async () => (await fixture.Client.GetClusterStatusAsync()).Ranges
                .Where(r => r.Range.Id == gone.Id || r.Range.Id == live.Id || r.Range.Id == other.Id)
                .All(r => r.ReplicasInSync == r.Range.Replicas.Length && r.ReplicaLag == 0),
            TimeSpan.FromSeconds(30),
            "every replica of the three ranges to be in sync");

        var refused = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, ClosedPort()), 1);
        var promisedToLive = Fence(live, live.Master, live.Epoch);
        var promisedToAnotherEpoch = Fence(other, refused, other.Epoch + 5);
        var state = await Fence(gone, refused, gone.Epoch).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(gone.Epoch + 1, state.FencedEpoch);
        Assert.True(state.Complete);
        Assert.False(promisedToLive.IsCompleted, $"a fence answered before the promise to a live master ran out: {promisedToLive.Status} {promisedToLive.Exception?.InnerException?.Message}");
        Assert.False(promisedToAnotherEpoch.IsCompleted, "a fence answered early for a master the replica had not promised");
    }

    /// <summary>Fences the copy of <paramref name="range"/> on its first replica for the next epoch, naming the old master.</summary>
    private Task<ReplicaState> Fence(RangeInfo range, SiloAddress oldMaster, long oldEpoch) =>
        fixture.Cluster.Client.GetGrain<IReplicationService>(ReplicationServiceId.At(range.Replicas[0]))
            .FenceAsync(range.Id, range.Epoch + 1, oldMaster, oldEpoch);

    /// <summary>A loopback port nothing listens on (one the system just handed out and took back).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Three in-process silos whose replicas promise their masters for 20 s (failover after 40 s of missed probes).</summary>
public sealed class LongLeaseClusterFixture : InProcessClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        ["DiMint:Replication:LeaseDuration"] = "00:00:20",
        ["DiMint:Replication:FailoverTimeout"] = "00:00:40",
    };
}

[CollectionDefinition(Name)]
public sealed class LongLeaseClusterCollection : ICollectionFixture<LongLeaseClusterFixture>
{
    public const string Name = "Long lease cluster";
}
