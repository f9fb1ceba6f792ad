using DiMint.Testing;
using DiMint.Testing.Cluster;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>
/// The overlord runs on the silo that holds its lease, every other silo stands by, and when the holder's silo is killed
/// a standby takes the lease (a newer term) and the overlord over, without Orleans declaring anything, and fails the
/// killed silo's ranges over (3 in-process silos, the ring and lease in files so they outlive any silo).
/// </summary>
[Trait("Category", "Cluster")]
[Collection(ElectionClusterCollection.Name)]
public sealed class OverlordElectionTests(ElectionClusterFixture fixture)
{
    [Fact]
    public async Task KillingTheOverlordsSilo_HandsTheOverlordToAStandby_WhichFailsTheSiloOver()
    {
        var client = fixture.Client;
        var before = await client.GetClusterStatusAsync();
        Assert.NotNull(before.Overlord);
        Assert.Equal(fixture.Cluster.Silos.Count - 1, before.OverlordStandbys.Length);
        Assert.DoesNotContain(before.Overlord, before.OverlordStandbys);
        Assert.True(before.OverlordTerm >= 1);

        var keys = Enumerable.Range(0, 200).Select(i => TestKeys.Key($"{i}")).ToArray();
        await client.SetManyAsync(keys.Select(k => KeyValuePair.Create(k, "before")));
        var leader = fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(before.Overlord));
        await fixture.Cluster.KillSiloAsync(leader);

        ClusterStatus? after = null;
        await Wait.UntilAsync(
            async () => (after = await client.GetClusterStatusAsync()) is { Overlord: { } overlord } && !overlord.Equals(before.Overlord),
            TimeSpan.FromSeconds(30),
            "a standby to take the overlord over");
        Assert.Contains(after!.Overlord!, before.OverlordStandbys);
        Assert.True(after.OverlordTerm > before.OverlordTerm, $"term {after.OverlordTerm} after {before.OverlordTerm}");

        // The new overlord failed the killed silo over: no range names it, and every key is served with what it held.
        await Wait.UntilAsync(
            async () => !(await client.GetRingAsync(refresh: true)).Ranges.Any(r => r.Master.Equals(before.Overlord)),
            TimeSpan.FromSeconds(30),
            "the killed silo's ranges to be promoted");
        var values = await client.GetManyAsync<string>(keys);
        Assert.All(keys, k => Assert.Equal("before", values[k]));
    }
}

/// <summary>Three in-process silos whose ring and overlord lease live in a folder of their own.</summary>
public sealed class ElectionClusterFixture : InProcessClusterFixture
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"dimint-election-{Environment.ProcessId}-{Guid.NewGuid():N}");

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["DiMint:Rebalance:AutoBalance"] = "false",
        [RingDirectorySetting] = Folder,

        // One standby reads the lease four times a lease, the other every two leases: either may take over.
        ["DiMint:Replication:OverlordStandbys"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class ElectionClusterCollection : ICollectionFixture<ElectionClusterFixture>
{
    public const string Name = "Election cluster";
}
