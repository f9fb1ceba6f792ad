using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// A move's copy whose master is deposed while it runs (its target, or its own copy, fenced for an epoch the ring never
/// got, as a promotion by an overlord cut off in a partition leaves them): the move is rolled back instead of waiting
/// forever, and the range is served again afterwards with what it held (3 in-process silos, RF 2, copies throttled so
/// they last seconds).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(DeposedCopyClusterCollection.Name)]
public sealed class DeposedCopyTests(DeposedCopyClusterFixture fixture)
{
    /// <summary>Far longer than a rolled-back copy takes, far shorter than the test run's timeout.</summary>
    private static readonly TimeSpan MoveEnds = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReplicaMove_WhoseTargetIsFencedForANewerEpoch_RollsBack_AndTheRangeIsServedAgain()
    {
        var (range, target) = await PickAsync(0);
        await ConfirmRollbackAsync(range, target, () => FenceAsync(range, target));
    }

    [Fact]
    public async Task ReplicaMove_WhoseMasterIsFencedForANewerEpoch_RollsBack_AndTheRangeIsServedAgain()
    {
        var (range, target) = await PickAsync(1);
        await ConfirmRollbackAsync(range, target, () => FenceAsync(range, range.Master));
    }

    /// <summary>The <paramref name="index"/>th range and the one silo that holds no copy of it.</summary>
    private async Task<(RangeInfo Range, SiloAddress Target)> PickAsync(int index)
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var range = ring.Ranges[index];
        var target = fixture.Cluster.Silos.Select(s => s.SiloAddress).Single(s => !range.Master.Equals(s) && !range.Replicas.Contains(s));
        return (range, target);
    }

    private Task FenceAsync(RangeInfo range, SiloAddress silo) =>
        fixture.Cluster.Client.GetGrain<IRangeReplicaGrain>($"{range.Id}/{silo.ToParsableString()}").FenceAsync(range.Id, range.Epoch + 1);

    /// <summary>
    /// Fills the range, starts moving its replica to <paramref name="target"/>, runs <paramref name="depose"/> while the
    /// copy is under way, and checks the move rolled back, the ring kept the range's copies, and the range serves every
    /// value it held and new writes.
    /// </summary>
    private async Task ConfirmRollbackAsync(RangeInfo range, SiloAddress target, Func<Task> depose)
    {
        var client = fixture.NewClient();
        var value = new string('x', 1000);
        var keys = Enumerable.Range(0, 400_000).Select(i => TestKeys.Key($"deposed:{range.Id}:{i}")).Where(k => range.Contains(KeyHash.Of(k))).Take(2_000).ToArray();
        await client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, value)));

        var started = await client.StartMoveAsync(range.Id, target, replica: true, from: range.Replicas[0]);
        await Wait.UntilAsync(
            async () => await client.GetOperationAsync(started.Id) is { State: RingOperationState.Running, BytesMoved: > 0 },
            TimeSpan.FromSeconds(30),
            "the copy to be under way",
            TimeSpan.FromMilliseconds(20));
        await depose();

        var ended = await Assert.ThrowsAsync<RingOperationException>(() => client.WaitForOperationAsync(started.Id).WaitAsync(MoveEnds));
        Assert.Equal(DiMintErrorCode.OperationRolledBack, ended.Code);
        var after = (await client.GetRingAsync(refresh: true)).FindById(range.Id)!;
        Assert.DoesNotContain(target, after.Replicas.Prepend(after.Master));
        Assert.Equal(range.Replicas.Prepend(range.Master).Order(), after.Replicas.Prepend(after.Master).Order());

        // The epoch nobody published is settled (a promotion of the best copy), and the range takes writes again.
        var probe = TestKeys.Key($"deposed:{range.Id}:after");
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await client.SetAsync(probe, "after");
                    return true;
                }
                catch (DiMintException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            $"range {range.Id} to take writes again");
        var values = await client.GetManyAsync<string>(keys);
        Assert.All(keys, k => Assert.Equal(value, values[k]));
        Assert.Equal("after", await client.GetAsync<string>(probe));
    }
}

/// <summary>Three in-process silos at RF 2 (one silo holds no copy of a range, so a replica can move there), with copies throttled to 256 KiB/s.</summary>
public sealed class DeposedCopyClusterFixture : InProcessClusterFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        ["DiMint:Replication:ReplicationFactor"] = "2",
        ["DiMint:Rebalance:TransferBytesPerSecond"] = "262144",
    };
}

[CollectionDefinition(Name)]
public sealed class DeposedCopyClusterCollection : ICollectionFixture<DeposedCopyClusterFixture>
{
    public const string Name = "Deposed copy cluster";
}
