using System.Diagnostics;
using System.Runtime.CompilerServices;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// A move's copy (a learner fed by the range's master): it is held to <c>TransferBytesPerSecond</c>, and dropped by the
/// master when nobody asks about it for <c>CopyLease</c> (3 in-process silos, RF 2, <see cref="CopyClusterFixture"/>).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(CopyClusterCollection.Name)]
public sealed class CopyTests(CopyClusterFixture fixture)
{
    /// <summary>An id the overlord never gives (it numbers operations from the Unix time in milliseconds).</summary>
    private const long StrayOperationId = 1;

    /// <summary>Far longer than any copy here takes, far shorter than the test run's timeout.</summary>
    private static readonly TimeSpan CopyEnds = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReplicaMove_CopiesNoFasterThanTransferBytesPerSecond()
    {
        var (range, target) = await PickAsync(0);
        var client = fixture.NewClient();
        var value = new string('x', 1000);
        var keys = KeysOf(range, 1_000);
        await client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, value)));

        // What the feed may have sent t seconds after it started: the rate's worth, plus the chunk sent before the feed
        // waits (a chunk ends at the first entry that reaches SnapshotChunkBytes), plus 50 ms of the rate for a timer
        // that fires early (timers count whole milliseconds).
        const long entryBytes = 2 * 1024;
        const long slack = CopyClusterFixture.SnapshotChunkBytes + entryBytes + (CopyClusterFixture.TransferBytesPerSecond / 20);

        // Started before the move is, and read after each answer: the copy ran for no longer than this clock says, so
        // a slow machine only loosens the bound.
        var clock = Stopwatch.StartNew();
        var started = await client.StartMoveAsync(range.Id, target, replica: true, from: range.Replicas[0]);
        RingOperationInfo? last = null;
        var aheadOfRate = new List<string>();
        await Wait.UntilAsync(
            async () =>
            {
                last = await client.GetOperationAsync(started.Id);
                var elapsed = clock.Elapsed;
                var allowed = (long)(CopyClusterFixture.TransferBytesPerSecond * elapsed.TotalSeconds) + slack;
                if (last is not null && last.BytesMoved > allowed)
                {
                    aheadOfRate.Add($"{last.BytesMoved} bytes moved after {elapsed.TotalMilliseconds:0} ms (at most {allowed})");
                }

                return last is { State: RingOperationState.Done or RingOperationState.RolledBack };
            },
            CopyEnds,
            $"the move of range {range.Id}'s replica to end",
            TimeSpan.FromMilliseconds(50));

        Assert.Equal(RingOperationState.Done, last?.State);
        Assert.Empty(aheadOfRate);

        // The whole range was copied (so the last answer, read after the copy ended, held all of it to the rate).
        Assert.True(last!.BytesMoved >= keys.Length * value.Length, $"{last.BytesMoved} bytes moved for {keys.Length} values of {value.Length} bytes");
        var after = (await client.GetRingAsync(refresh: true)).FindById(range.Id)!;
        Assert.Contains(target, after.Replicas);
        var values = await client.GetManyAsync<string>(keys);
        Assert.All(keys, k => Assert.Equal(value, values[k]));
    }

    [Fact]
    public async Task Copy_NobodyAsksAbout_IsDroppedAfterCopyLease()
    {
        var (range, target) = await PickAsync(1);
        var client = fixture.NewClient();
        var keys = KeysOf(range, 10);
        await client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, "value")));

        var master = fixture.Cluster.Client.GetGrain<IRangeGrain>(range.GrainKey);
        var copy = fixture.Cluster.Client.GetGrain<IRangeReplicaGrain>($"{range.Id}/{target.ToParsableString()}");
        var started = await master.StartCopyAsync(StrayOperationId, target);
        Assert.False(started.Failed);

        // Asked about, as the overlord does while it waits for the copy (each question renews the lease), until the
        // target holds it; the question comes after the target's answer, so the copy was still fed when the target held it.
        await Wait.UntilAsync(
            async () => await copy.GetStateAsync(range.Id) is { Complete: true } state && state.Epoch == range.Epoch
                && await master.GetCopyProgressAsync(StrayOperationId) is { InSync: true, Failed: false },
            CopyEnds,
            $"silo {target} to hold the copy of range {range.Id}",
            TimeSpan.FromMilliseconds(20));

        // Then nobody asks (the target is asked, not the master): after CopyLease the master's timer drops the copy.
        await Wait.UntilAsync(
            async () => await copy.GetStateAsync(range.Id) is { Complete: false, Epoch: 0 },
            CopyClusterFixture.CopyLease + CopyEnds,
            $"silo {target} to no longer hold the copy of range {range.Id}");

        Assert.True((await master.GetCopyProgressAsync(StrayOperationId)).Failed, "the master still feeds the copy");
        var values = await client.GetManyAsync<string>(keys);
        Assert.All(keys, k => Assert.Equal("value", values[k]));
    }

    /// <summary>The <paramref name="index"/>th range and the one silo that holds no copy of it.</summary>
    private async Task<(RangeInfo Range, SiloAddress Target)> PickAsync(int index)
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var range = ring.Ranges[index];
        var target = fixture.Cluster.Silos.Select(s => s.SiloAddress).Single(s => !range.Master.Equals(s) && !range.Replicas.Contains(s));
        return (range, target);
    }

    /// <summary><paramref name="count"/> keys of the calling test that <paramref name="range"/> holds.</summary>
    private static string[] KeysOf(RangeInfo range, int count, [CallerMemberName] string test = "") =>
        [.. Enumerable.Range(0, 1_000_000).Select(i => TestKeys.Key($"{range.Id}:{i}", test)).Where(k => range.Contains(KeyHash.Of(k))).Take(count)];
}
