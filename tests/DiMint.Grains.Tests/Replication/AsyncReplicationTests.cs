using DiMint.Client;
using DiMint.Grains.Replication;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// <c>WriteAcks = 0</c>, the documented asynchronous mode: the master acknowledges a write without waiting for any
/// replica, and sends it on afterwards (3 in-process silos, RF 3).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(AsyncReplicationClusterCollection.Name)]
public sealed class AsyncReplicationTests(AsyncReplicationClusterFixture fixture)
{
    [Fact]
    public async Task Write_WithWriteAcksZero_IsAcknowledgedWhileNoReplicaAnswers_AndReachesThemLater()
    {
        // A client that gives up after its first attempt: a write waiting for a replica would fail, not be retried.
        var client = fixture.NewClient(new DimintClientOptions { RequestTimeout = TimeSpan.FromSeconds(1) });
        var key = TestKeys.Key("async");
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(key));
        await client.SetAsync(key, "before");
        await HeldReplicas.WaitInSyncAsync(client, range.Id);

        using (await HeldReplicas.HoldAsync(fixture, range))
        {
            // Neither replica can apply anything: the write is acknowledged all the same.
            await client.SetAsync(key, "async");
        }

        // Once they answer again, the replicas get it.
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var silo in range.Replicas)
                {
                    var answer = await fixture.Cluster.Client.GetGrain<IRangeReplicaGrain>($"{range.Id}/{silo.ToParsableString()}").GetAsync(key, ring.Version);
                    if (answer.Status != RangeStatus.Ok || ValueCodec.Decode(answer.Value) is not "async")
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(20),
            "every replica to hold the write acknowledged without them");
        Assert.Equal("async", await client.GetAsync<string>(key));
    }
}

/// <summary>Three in-process silos whose masters acknowledge writes without waiting for replicas (<c>WriteAcks = 0</c>).</summary>
public sealed class AsyncReplicationClusterFixture : InProcessClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        ["DiMint:Replication:WriteAcks"] = "0",
    };
}

[CollectionDefinition(Name)]
public sealed class AsyncReplicationClusterCollection : ICollectionFixture<AsyncReplicationClusterFixture>
{
    public const string Name = "Asynchronous replication cluster";
}
