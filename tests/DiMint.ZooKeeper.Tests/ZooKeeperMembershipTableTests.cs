using DiMint.Testing.ZooKeeper;
using DiMint.ZooKeeper.Clustering;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace DiMint.ZooKeeper.Tests;

/// <summary>The IMembershipTable contract against a real ZooKeeper server; each test has its own cluster id.</summary>
[Collection(StandaloneZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class ZooKeeperMembershipTableTests : IAsyncLifetime
{
    private readonly ZooKeeperStandaloneFixture _zooKeeper;
    private readonly string _clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..10];
    private ZooKeeperMembershipTable _table = null!;

    public ZooKeeperMembershipTableTests(ZooKeeperStandaloneFixture zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    public async Task InitializeAsync()
    {
        _table = new ZooKeeperMembershipTable(
            Options.Create(new ZooKeeperClusteringOptions { ConnectionString = _zooKeeper.ConnectionString }),
            Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "dimint" }),
            NullLogger<ZooKeeperMembershipTable>.Instance);
        await _table.InitializeMembershipTableAsync(true);
    }

    public async Task DisposeAsync()
    {
        await _table.DeleteMembershipTableEntriesAsync(_clusterId);
        await _table.DisposeAsync();
    }

    [Fact]
    public async Task NewTable_IsEmptyAtVersionZero_AndInitializingAgainKeepsIt()
    {
        await _table.InitializeMembershipTableAsync(true);
        var table = await _table.ReadAllAsync();

        Assert.Empty(table.Members);
        Assert.Equal(0, table.Version.Version);
        Assert.Equal("0", table.Version.VersionEtag);
    }

    [Fact]
    public async Task InsertRow_BumpsTheTableVersion_AndTheRowReadsBack()
    {
        var entry = MembershipEntries.New();
        var empty = await _table.ReadAllAsync();

        Assert.True(await _table.InsertRowAsync(entry, empty.Version.Next()));
        var table = await _table.ReadAllAsync();
        var row = await _table.ReadRowAsync(entry.SiloAddress);

        Assert.Equal(1, table.Version.Version);
        var (stored, etag) = Assert.Single(table.Members);
        Assert.Equal("0", etag);
        AssertSameEntry(entry, stored);
        Assert.Equal(table.Version, row.Version);
        AssertSameEntry(entry, Assert.Single(row.Members).Item1);
    }

    [Fact]
    public async Task InsertRow_WithStaleTableVersion_ReturnsFalse_AndChangesNothing()
    {
        var first = MembershipEntries.New();
        var second = MembershipEntries.New();
        var empty = await _table.ReadAllAsync();
        Assert.True(await _table.InsertRowAsync(first, empty.Version.Next()));

        var inserted = await _table.InsertRowAsync(second, empty.Version.Next());
        var table = await _table.ReadAllAsync();

        Assert.False(inserted);
        Assert.Equal(1, table.Version.Version);
        Assert.Equal(first.SiloAddress, Assert.Single(table.Members).Item1.SiloAddress);
    }

    [Fact]
    public async Task InsertRow_ForAnExistingSilo_ReturnsFalse()
    {
        var entry = MembershipEntries.New();
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()));

        var again = await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next());

        Assert.False(again);
        Assert.Equal(1, (await _table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task UpdateRow_WithCurrentETag_Applies_AndAStaleRowETagOrTableVersionFails()
    {
        var entry = MembershipEntries.New();
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()));
        var before = await _table.ReadAllAsync();
        var etag = before.Members[0].Item2;

        entry.Status = SiloStatus.Active;
        var updated = await _table.UpdateRowAsync(entry, etag, before.Version.Next());
        var after = await _table.ReadAllAsync();
        entry.Status = SiloStatus.ShuttingDown;
        var staleRow = await _table.UpdateRowAsync(entry, etag, after.Version.Next());
        var staleTable = await _table.UpdateRowAsync(entry, after.Members[0].Item2, before.Version.Next());
        var final = await _table.ReadAllAsync();

        Assert.True(updated);
        Assert.Equal(2, after.Version.Version);
        Assert.NotEqual(etag, after.Members[0].Item2);
        Assert.False(staleRow);
        Assert.False(staleTable);
        Assert.Equal(after.Version, final.Version);
        Assert.Equal(SiloStatus.Active, final.Members[0].Item1.Status);
    }

    [Fact]
    public async Task UpdateRow_ForAMissingSilo_ReturnsFalse()
    {
        var table = await _table.ReadAllAsync();

        Assert.False(await _table.UpdateRowAsync(MembershipEntries.New(), "0", table.Version.Next()));
    }

    [Fact]
    public async Task UpdateIAmAlive_ChangesOnlyTheHeartbeat()
    {
        var entry = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()));
        var before = await _table.ReadAllAsync();

        entry.IAmAliveTime = entry.IAmAliveTime.AddSeconds(30);
        await _table.UpdateIAmAliveAsync(entry);
        var after = await _table.ReadAllAsync();

        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Members[0].Item2, after.Members[0].Item2);
        Assert.Equal(entry.IAmAliveTime, after.Members[0].Item1.IAmAliveTime);
    }

    [Fact]
    public async Task ReadAll_WhileNoRowChanged_AsksZooKeeperOnce_AndReadsTheOtherSilosHeartbeatsAgainEvery20Seconds()
    {
        // Two silos' tables over one cluster: this test's, on a clock the test moves, and another silo's.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mine = new ZooKeeperMembershipTable(
            Options.Create(new ZooKeeperClusteringOptions { ConnectionString = _zooKeeper.ConnectionString }),
            Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "dimint" }),
            NullLogger<ZooKeeperMembershipTable>.Instance,
            time);
        var me = MembershipEntries.New(SiloStatus.Active);
        var other = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await mine.InsertRowAsync(me, (await mine.ReadAllAsync()).Version.Next()));
        Assert.True(await _table.InsertRowAsync(other, (await _table.ReadAllAsync()).Version.Next()));
        var first = await mine.ReadAllAsync();
        var client = await mine.Session.GetClientAsync();

        // Nothing changed: one request (the table's versions), the same rows.
        var before = client.Requests;
        var again = await mine.ReadAllAsync();
        Assert.Equal(1, client.Requests - before);
        Assert.Equal(first.Version, again.Version);
        Assert.Equal(first.Members.Select(m => (m.Item1.SiloAddress, m.Item2)), again.Members.Select(m => (m.Item1.SiloAddress, m.Item2)));

        // Its own heartbeat shows at once; the other silo's within HeartbeatsReadEvery, with one request per row more.
        me.IAmAliveTime = me.IAmAliveTime.AddSeconds(30);
        other.IAmAliveTime = other.IAmAliveTime.AddSeconds(30);
        await mine.UpdateIAmAliveAsync(me);
        await _table.UpdateIAmAliveAsync(other);
        Assert.Equal(me.IAmAliveTime, Row(await mine.ReadAllAsync(), me).IAmAliveTime);
        time.Advance(ZooKeeperMembershipStore.HeartbeatsReadEvery);
        before = client.Requests;
        var refreshed = await mine.ReadAllAsync();
        Assert.Equal(3, client.Requests - before);
        Assert.Equal(other.IAmAliveTime, Row(refreshed, other).IAmAliveTime);
        Assert.Equal(me.IAmAliveTime, Row(refreshed, me).IAmAliveTime);

        // A row changed, added or removed elsewhere shows at the next read.
        var (stored, etag) = Assert.Single(refreshed.Members, m => m.Item1.SiloAddress.Equals(other.SiloAddress));
        stored.Status = SiloStatus.Dead;
        Assert.True(await _table.UpdateRowAsync(stored, etag, refreshed.Version.Next()));
        Assert.Equal(SiloStatus.Dead, Row(await mine.ReadAllAsync(), other).Status);
        var joined = MembershipEntries.New();
        Assert.True(await _table.InsertRowAsync(joined, (await _table.ReadAllAsync()).Version.Next()));
        Assert.Equal(3, (await mine.ReadAllAsync()).Members.Count);
        await _table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddHours(1));
        var left = await mine.ReadAllAsync();
        Assert.Equal(2, left.Members.Count);
        Assert.DoesNotContain(left.Members, m => m.Item1.SiloAddress.Equals(other.SiloAddress));
    }

    private static MembershipEntry Row(MembershipTableData table, MembershipEntry entry) =>
        Assert.Single(table.Members, m => m.Item1.SiloAddress.Equals(entry.SiloAddress)).Item1;

    [Fact]
    public async Task ReadAll_WhileSilosJoin_AlwaysReturnsRowsMatchingTheVersion()
    {
        // Only inserts happen, each bumping the version by one: a consistent snapshot has exactly Version rows.
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                var entry = MembershipEntries.New();
                while (!await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()))
                {
                }
            }
        })).ToArray();

        var snapshots = 0;
        while (!writers.All(w => w.IsCompleted) || snapshots == 0)
        {
            var table = await _table.ReadAllAsync();
            Assert.Equal(table.Version.Version, table.Members.Count);
            snapshots++;
        }

        await Task.WhenAll(writers);
        var final = await _table.ReadAllAsync();
        Assert.Equal(24, final.Members.Count);
        Assert.Equal(24, final.Version.Version);
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_RemovesOnlyDeadRowsOlderThanTheDate()
    {
        var now = DateTime.UtcNow;
        var oldDead = MembershipEntries.New(SiloStatus.Dead, now.AddHours(-2));
        var oldActive = MembershipEntries.New(SiloStatus.Active, now.AddHours(-2));
        var recentDead = MembershipEntries.New(SiloStatus.Dead, now);
        foreach (var entry in new[] { oldDead, oldActive, recentDead })
        {
            Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()));
        }

        await _table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(now.AddHours(-1)));
        var table = await _table.ReadAllAsync();

        Assert.Equal(
            new[] { oldActive.SiloAddress, recentDead.SiloAddress }.Order(),
            table.Members.Select(m => m.Item1.SiloAddress).Order());
        Assert.Empty((await _table.ReadRowAsync(oldDead.SiloAddress)).Members);
    }

    [Fact]
    public async Task ReadRow_ForAnUnknownSilo_ReturnsNoRowAndTheTableVersion()
    {
        Assert.True(await _table.InsertRowAsync(MembershipEntries.New(), (await _table.ReadAllAsync()).Version.Next()));

        var row = await _table.ReadRowAsync(MembershipEntries.New().SiloAddress);

        Assert.Empty(row.Members);
        Assert.Equal(1, row.Version.Version);
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_RemovesTheWholeTable()
    {
        Assert.True(await _table.InsertRowAsync(MembershipEntries.New(), (await _table.ReadAllAsync()).Version.Next()));

        await _table.DeleteMembershipTableEntriesAsync(_clusterId);

        await Assert.ThrowsAsync<NoNodeException>(() => _table.ReadAllAsync());
        await _table.InitializeMembershipTableAsync(true);
        var fresh = await _table.ReadAllAsync();
        Assert.Empty(fresh.Members);
        Assert.Equal(0, fresh.Version.Version);
    }

    [Fact]
    public async Task SessionExpired_TheTableOpensANewSession_KeepsEveryRow_AndTakesWritesWithTheETagsReadBefore()
    {
        var first = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await _table.InsertRowAsync(first, (await _table.ReadAllAsync()).Version.Next()));
        var before = await _table.ReadAllAsync();

        var expired = await SessionExpiry.ExpireAsync(_table.Session, _zooKeeper.ConnectionString);
        var after = await _table.ReadAllAsync();

        // The rows are persistent nodes: the session that wrote them is gone, the rows, versions and ETags are not.
        Assert.NotEqual(expired, _table.Session.Current!.SessionId);
        Assert.Equal(before.Version, after.Version);
        var (kept, keptETag) = Assert.Single(after.Members);
        Assert.Equal(before.Members[0].Item2, keptETag);
        AssertSameEntry(first, kept);

        // Orleans keeps the ETags it read and writes with them after the expiry: they still match.
        first.Status = SiloStatus.ShuttingDown;
        Assert.True(await _table.UpdateRowAsync(first, before.Members[0].Item2, before.Version.Next()));
        var second = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await _table.InsertRowAsync(second, (await _table.ReadAllAsync()).Version.Next()));
        second.IAmAliveTime = second.IAmAliveTime.AddSeconds(30);
        await _table.UpdateIAmAliveAsync(second);
        var final = await _table.ReadAllAsync();

        Assert.Equal(before.Version.Version + 2, final.Version.Version);
        Assert.Equal(2, final.Members.Count);
        AssertSameEntry(first, final.Members.Single(m => m.Item1.SiloAddress.Equals(first.SiloAddress)).Item1);
        AssertSameEntry(second, final.Members.Single(m => m.Item1.SiloAddress.Equals(second.SiloAddress)).Item1);
    }

    [Fact]
    public async Task GatewayListProvider_AfterItsSessionExpired_OpensANewOne_AndServesTheCurrentGateways()
    {
        var first = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await _table.InsertRowAsync(first, (await _table.ReadAllAsync()).Version.Next()));
        await using var provider = NewGatewayListProvider();
        await provider.InitializeGatewayListProviderAsync();
        Assert.Equal([GatewayOf(first)], await provider.GetGatewaysAsync());

        var expired = await SessionExpiry.ExpireAsync(provider.Session, _zooKeeper.ConnectionString);
        var second = MembershipEntries.New(SiloStatus.Active);
        Assert.True(await _table.InsertRowAsync(second, (await _table.ReadAllAsync()).Version.Next()));
        var gateways = await provider.GetGatewaysAsync();

        Assert.NotEqual(expired, provider.Session.Current!.SessionId);
        Assert.Equal(new[] { GatewayOf(first), GatewayOf(second) }.OrderBy(g => g.ToString()), gateways.OrderBy(g => g.ToString()));
    }

    [Fact]
    public async Task GatewayListProvider_ReturnsTheGatewaysOfActiveSilos()
    {
        var active = MembershipEntries.New(SiloStatus.Active);
        var joining = MembershipEntries.New(SiloStatus.Joining);
        var noGateway = MembershipEntries.New(SiloStatus.Active, proxyPort: 0);
        var dead = MembershipEntries.New(SiloStatus.Dead);
        foreach (var entry in new[] { active, joining, noGateway, dead })
        {
            Assert.True(await _table.InsertRowAsync(entry, (await _table.ReadAllAsync()).Version.Next()));
        }

        await using var provider = NewGatewayListProvider();
        await provider.InitializeGatewayListProviderAsync();
        var gateways = await provider.GetGatewaysAsync();

        Assert.Equal(GatewayOf(active), Assert.Single(gateways));
        Assert.True(provider.IsUpdatable);
        Assert.Equal(TimeSpan.FromSeconds(7), provider.MaxStaleness);

        // Asked again with nothing changed: one request, however many silos; a silo that became active shows at once.
        var client = await provider.Session.GetClientAsync();
        var before = client.Requests;
        Assert.Equal(GatewayOf(active), Assert.Single(await provider.GetGatewaysAsync()));
        Assert.Equal(1, client.Requests - before);
        var (row, etag) = Assert.Single((await _table.ReadAllAsync()).Members, m => m.Item1.SiloAddress.Equals(joining.SiloAddress));
        row.Status = SiloStatus.Active;
        Assert.True(await _table.UpdateRowAsync(row, etag, (await _table.ReadAllAsync()).Version.Next()));
        Assert.Equal(new[] { GatewayOf(active), GatewayOf(joining) }.OrderBy(u => u.ToString()), (await provider.GetGatewaysAsync()).OrderBy(u => u.ToString()));
    }

    private static Uri GatewayOf(MembershipEntry entry) =>
        SiloAddress.New(entry.SiloAddress.Endpoint.Address, entry.ProxyPort, entry.SiloAddress.Generation).ToGatewayUri();

    private ZooKeeperGatewayListProvider NewGatewayListProvider() => new(
        Options.Create(new ZooKeeperClusteringOptions { ConnectionString = _zooKeeper.ConnectionString }),
        Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "dimint" }),
        Options.Create(new GatewayOptions { GatewayListRefreshPeriod = TimeSpan.FromSeconds(7) }),
        NullLogger<ZooKeeperGatewayListProvider>.Instance);

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.ProxyPort, actual.ProxyPort);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.RoleName, actual.RoleName);
        Assert.Equal(expected.UpdateZone, actual.UpdateZone);
        Assert.Equal(expected.FaultZone, actual.FaultZone);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(expected.IAmAliveTime, actual.IAmAliveTime);
        Assert.Equal(DateTimeKind.Utc, actual.IAmAliveTime.Kind);
    }
}
