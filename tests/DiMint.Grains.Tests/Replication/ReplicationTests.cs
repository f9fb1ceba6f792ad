using DiMint.Client;
using DiMint.Grains.Hosting;
using DiMint.Grains.Replication;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Replication;

/// <summary>Replicas on other silos, acknowledged writes held by a replica, and epoch fencing (3 in-process silos, RF 3, WriteAcks 1).</summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed class ReplicationTests(InProcessClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task EveryRange_HasTwoReplicas_OnSilosOtherThanItsMasterAndEachOther()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);

        Assert.All(ring.Ranges, r =>
        {
            Assert.Equal(2, r.Replicas.Length);
            Assert.DoesNotContain(r.Master, r.Replicas);
            Assert.Equal(2, r.Replicas.Distinct().Count());
        });
    }

    [Fact]
    public async Task AcknowledgedWrite_IsAlreadyHeldByAReplica()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        for (var i = 0; i < 20; i++)
        {
            var key = TestKeys.Key($"k{i}");
            await client.SetAsync(key, i);

            // The master answered only after WriteAcks (1) replica held the write: ask the replicas directly, right away.
            var range = ring.Find(KeyHash.Of(key));
            var holders = 0;
            foreach (var silo in range.Replicas)
            {
                var answer = await Grains.GetGrain<IRangeReplicaGrain>($"{range.Id}/{silo.ToParsableString()}").GetAsync(key, ring.Version);
                if (answer.Status == RangeStatus.Ok && ValueCodec.Decode(answer.Value) is long value && value == i)
                {
                    holders++;
                }
            }

            Assert.True(holders >= 1, $"{key}: no replica held the acknowledged write");
        }
    }

    [Fact]
    public async Task ReplicaReads_ServeTheValue_WithinTheReplicationLag()
    {
        var client = fixture.NewClient(new DimintClientOptions { ReadPreference = ReadPreference.Replica });
        var key = TestKeys.Key("offloaded");
        await client.SetAsync(key, "copy");

        // A replica read is stale by the replication lag, and goes to either replica: wait until both hold the write.
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(key));
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var silo in range.Replicas)
                {
                    var answer = await Grains.GetGrain<IRangeReplicaGrain>($"{range.Id}/{silo.ToParsableString()}").GetAsync(key, ring.Version);
                    if (answer.Status != RangeStatus.Ok || ValueCodec.Decode(answer.Value) is not "copy")
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(10),
            "every replica to hold the write");

        // Masters count every read they serve: none of the replica reads, and the one master read after them.
        var before = await MasterReadsAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("copy", await client.GetAsync<string>(key, ReadPreference.Replica));
        }

        var afterReplicaReads = await MasterReadsAsync();
        Assert.Equal("copy", await client.GetAsync<string>(key, ReadPreference.Master));
        Assert.Equal(before, afterReplicaReads);
        Assert.Equal(before + 1, await MasterReadsAsync());
    }

    /// <summary>The reads the silos' masters served so far (their call counters).</summary>
    private async Task<long> MasterReadsAsync()
    {
        var loads = await Task.WhenAll(fixture.Cluster.Silos.Select(s => Grains.GetGrain<ISiloMetricsGrain>(s.SiloAddress.ToParsableString()).GetLoadAsync()));
        return loads.Sum(l => l.Reads);
    }

    [Fact]
    public async Task StaleEpochWrite_IsRefusedByAReplica()
    {
        // A range of its own (an id no ring uses), so fencing it leaves the shared cluster's ranges alone.
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var template = ring.Ranges[0];
        var range = template with { Id = 900_000 + Random.Shared.Next(10_000), Epoch = 2 };
        var replica = Grains.GetGrain<IRangeReplicaGrain>($"{range.Id}/{template.Replicas[0].ToParsableString()}");
        var key = TestKeys.Key("fenced");
        var value = ValueCodec.Encode("from epoch 2");
        Assert.Equal(ReplicaAckStatus.Ok, (await replica.ApplyAsync(new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotStart, FirstSeq = 0 })).Status);
        Assert.Equal(ReplicaAckStatus.Ok, (await replica.ApplyAsync(new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotEnd, FirstSeq = 0 })).Status);
        Assert.Equal(ReplicaAckStatus.Ok, (await replica.ApplyAsync(new ReplicationBatch
        {
            Range = range,
            Kind = ReplicationBatchKind.Ops,
            FirstSeq = 1,
            Ops = [new ReplicationOp { Key = key, Value = value }],
        })).Status);

        // A master of epoch 1 (deposed) cannot get a write applied; the one of epoch 2 still can, and twice is once.
        var stale = await replica.ApplyAsync(new ReplicationBatch
        {
            Range = range with { Epoch = 1 },
            Kind = ReplicationBatchKind.Ops,
            FirstSeq = 2,
            Ops = [new ReplicationOp { Key = key, Value = ValueCodec.Encode("from epoch 1") }],
        });
        var again = await replica.ApplyAsync(new ReplicationBatch
        {
            Range = range,
            Kind = ReplicationBatchKind.Ops,
            FirstSeq = 1,
            Ops = [new ReplicationOp { Key = key, Value = value }],
        });

        Assert.Equal(ReplicaAckStatus.StaleEpoch, stale.Status);
        Assert.Equal(2, stale.Epoch);
        Assert.Equal(ReplicaAckStatus.Ok, again.Status);
        Assert.Equal(1, again.AppliedSeq);
        var state = await replica.GetStateAsync(range.Id);
        Assert.Equal(1, state.AppliedSeq);
        Assert.Equal(2, state.Epoch);
    }

    [Fact]
    public async Task WritesWithoutTheRange_ApplyToTheCopyHeld_AndAskForASnapshotWhereThereIsNone()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var template = ring.Ranges[0];
        var range = template with { Id = 910_000 + Random.Shared.Next(10_000), Epoch = 3 };
        var silo = template.Replicas[0].ToParsableString();
        var replica = Grains.GetGrain<IRangeReplicaGrain>($"{range.Id}/{silo}");
        var key = TestKeys.Key("compact");

        // One write that names its range by id and epoch only, as a master sends once the replica has the range.
        Task<ReplicaAck> WriteWithoutRange(long epoch, long seq, string value) => replica.ApplyAsync(new ReplicationBatch
        {
            RangeId = range.Id,
            Epoch = epoch,
            Kind = ReplicationBatchKind.Ops,
            FirstSeq = seq,
            Ops = [new ReplicationOp { Key = key, Value = ValueCodec.Encode(value) }],
        });

        // No copy yet: a batch of writes that leaves the range out cannot be applied; the replica asks for a snapshot.
        var first = await WriteWithoutRange(range.Epoch, 1, "lost");
        Assert.Equal(ReplicaAckStatus.NeedSnapshot, first.Status);
        Assert.False((await replica.GetStateAsync(range.Id)).Complete);

        // Once it holds the copy (the snapshot carries the range), writes without it apply, still checked by epoch.
        Assert.Equal(ReplicaAckStatus.Ok, (await replica.ApplyAsync(new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotStart, FirstSeq = 0 })).Status);
        Assert.Equal(ReplicaAckStatus.Ok, (await replica.ApplyAsync(new ReplicationBatch { Range = range, Kind = ReplicationBatchKind.SnapshotEnd, FirstSeq = 0 })).Status);
        var applied = await WriteWithoutRange(range.Epoch, 1, "kept");
        var stale = await WriteWithoutRange(range.Epoch - 1, 2, "from an older master");

        Assert.Equal(ReplicaAckStatus.Ok, applied.Status);
        Assert.Equal(1, applied.AppliedSeq);
        Assert.Equal(ReplicaAckStatus.StaleEpoch, stale.Status);
        var state = await replica.GetStateAsync(range.Id);
        Assert.True(state.Complete);
        Assert.Equal(1, state.AppliedSeq);
        Assert.Equal(3, state.Epoch);
    }

    [Fact]
    public async Task Status_ReportsReplicationLagPerRange()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(TestKeys.Key("lag")));
        var keys = Enumerable.Range(0, 10_000).Select(i => TestKeys.Key($"lag{i}")).Where(k => range.Contains(KeyHash.Of(k))).Take(50).ToArray();
        var silo = range.Replicas[0];
        var grainKey = $"{range.Id}/{silo.ToParsableString()}";
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(silo))).SiloHost.Services;
        var localReplicas = services.GetRequiredService<LocalGrains<RangeReplicaGrain>>();

        // A write starts the range's master and its feeds, if no test did (an unused range reports itself in sync).
        await client.SetAsync(keys[0], "first");
        await WaitForRangeAsync(client, range.Id, r => r.ReplicaLag == 0 && r.ReplicasInSync == 2, "the range's replicas to be in sync");
        RangeReplicaGrain? replica = null;
        await Wait.UntilAsync(() => localReplicas.TryGet(grainKey, out replica), TimeSpan.FromSeconds(10), $"replica {grainKey} to be active on its silo");

        // One replica stops acknowledging, its silo up: the batches the data port brings it are applied through its grain
        // (taken out of the silo's local replicas) and held there. The other replica acknowledges the writes.
        localReplicas.Remove(grainKey, replica!);
        var held = CallGate.Close(grainKey, nameof(IRangeReplicaGrain.ApplyAsync));
        try
        {
            await client.SetManyAsync(keys.ToDictionary(k => k, k => (object)k));
            await WaitForRangeAsync(client, range.Id, r => r.ReplicaLag >= keys.Length && r.ReplicasInSync == 1, $"the status to show a replica {keys.Length} writes behind, out of sync");
        }
        finally
        {
            held.Dispose();
            localReplicas.Add(grainKey, replica!);
        }

        await WaitForRangeAsync(client, range.Id, r => r.ReplicaLag == 0 && r.ReplicasInSync == 2, "the replica to catch up (lag 0, both in sync)");
    }

    [Fact]
    public async Task Write_NoReplicaAcknowledgesWithinAckTimeout_FailsWithNotEnoughReplicas_OutcomeUnknown()
    {
        // A client that gives up after its first attempt, so the write's own answer is what it throws.
        var client = fixture.NewClient(new DimintClientOptions { RequestTimeout = TimeSpan.FromSeconds(1) });
        var key = TestKeys.Key("unconfirmed");
        var ring = await client.GetRingAsync(refresh: true);
        var range = ring.Find(KeyHash.Of(key));
        await client.SetAsync(key, "before");
        await HeldReplicas.WaitInSyncAsync(client, range.Id);

        NotEnoughReplicasException refused;
        using (await HeldReplicas.HoldAsync(fixture, range))
        {
            // Neither replica acknowledges: the master applies the write, but no write quorum (1 replica of 2) confirms it.
            refused = await Assert.ThrowsAsync<NotEnoughReplicasException>(() => client.SetAsync(key, "unconfirmed"));
        }

        Assert.Equal(DiMintErrorCode.NotEnoughReplicas, refused.Code);
        Assert.Equal(range.Id, refused.RangeId);
        Assert.Equal(1, refused.Required);
        Assert.Equal(0, refused.Available);

        // Released, the range recovers: a later write is acknowledged. The refused one was not undone (its outcome was
        // unknown, not a failure): the master had applied it, and the replicas got it once they answered again.
        var other = Enumerable.Range(0, 10_000).Select(i => TestKeys.Key($"later{i}")).First(k => range.Contains(KeyHash.Of(k)));
        var later = fixture.NewClient();
        await later.SetAsync(other, "after");
        Assert.Equal("after", await later.GetAsync<string>(other));
        Assert.Equal("unconfirmed", await later.GetAsync<string>(key));
    }

    private static async Task WaitForRangeAsync(DimintClient client, int rangeId, Func<RangeStatusInfo, bool> condition, string what)
    {
        RangeStatusInfo? last = null;
        try
        {
            await Wait.UntilAsync(
                async () => condition(last = (await client.GetClusterStatusAsync()).Ranges.Single(r => r.Range.Id == rangeId)),
                TimeSpan.FromSeconds(20),
                what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; range {rangeId} last showed lag {last?.ReplicaLag}, {last?.ReplicasInSync} replicas in sync, seq {last?.AppliedSeq}", ex);
        }
    }
}
