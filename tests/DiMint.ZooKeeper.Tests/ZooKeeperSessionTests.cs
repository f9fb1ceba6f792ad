using System.Collections.Concurrent;
using System.Text;
using DiMint.Testing;
using DiMint.Testing.ZooKeeper;

namespace DiMint.ZooKeeper.Tests;

[Collection(StandaloneZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class ZooKeeperSessionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly ZooKeeperStandaloneFixture _zooKeeper;

    public ZooKeeperSessionTests(ZooKeeperStandaloneFixture zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    [Fact]
    public async Task IdleClient_PingsKeepTheSessionAlivePastItsTimeout()
    {
        var path = TestPaths.Unique();
        await using var client = await ConnectAsync(TimeSpan.FromSeconds(1));
        var changes = Record(client);
        await client.CreateAsync(path, default, CreateMode.Ephemeral);

        var sessionId = client.SessionId;

        // Stay idle for over two session timeouts: only pings keep the session (and its ephemeral node).
        await Task.Delay(client.SessionTimeout * 2.5);

        await using var observer = await ConnectAsync();
        Assert.NotNull(await observer.ExistsAsync(path));
        Assert.DoesNotContain(ZooKeeperState.Expired, changes);
        Assert.Equal(sessionId, (await client.ExistsAsync(path))!.EphemeralOwner);
    }

    [Fact]
    public async Task DroppedConnection_ReconnectsWithTheSameSession_AndFailsInFlightRequestsWithConnectionLoss()
    {
        var path = TestPaths.Unique();
        await using var proxy = ReplyHoldingProxy.Start(_zooKeeper.ConnectionString);
        await using var client = await ConnectAsync(connectionString: proxy.ConnectionString);
        var sessionId = client.SessionId;
        await client.CreateAsync(path, Encoding.UTF8.GetBytes("kept"), CreateMode.Ephemeral);

        // The server answers every request, but the answers are held on the way: all of them are in flight at the drop.
        proxy.HoldReplies();
        var inFlight = Enumerable.Range(0, 100).Select(_ => client.GetDataAsync(path)).ToArray();
        await Wait.UntilAsync(() => proxy.HeldReplies == inFlight.Length, Deadline, "the server to answer every request", poll: TimeSpan.FromMilliseconds(25));
        Assert.All(inFlight, t => Assert.False(t.IsCompleted));
        client.DropConnection();
        var outcomes = await Task.WhenAll(inFlight.Select(async t =>
        {
            try
            {
                await t.WaitAsync(Deadline);
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        Assert.All(outcomes, e => Assert.IsType<ConnectionLossException>(e));
        var data = await client.GetDataAsync(path);
        Assert.Equal("kept", Encoding.UTF8.GetString(data.Data));
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(sessionId, data.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task SessionClosedElsewhere_IsReportedAsExpired_AndANewClientCanBeOpened()
    {
        var path = TestPaths.Unique();
        var client = await ConnectAsync();
        var changes = Record(client);
        await client.CreateAsync(path, default, CreateMode.Ephemeral);

        client.HoldReconnects();
        client.DropConnection();
        await Wait.UntilAsync(() => client.State == ZooKeeperState.Disconnected, Deadline, "the client to see the dropped connection", poll: TimeSpan.FromMilliseconds(25));
        await using (var thief = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = _zooKeeper.ConnectionString,
            SessionId = client.SessionId,
            SessionPassword = client.GetSessionPassword(),
        }))
        {
            Assert.Equal(client.SessionId, thief.SessionId);
            await thief.CloseAsync();
        }

        client.ReleaseReconnects();
        await Wait.UntilAsync(() => client.State == ZooKeeperState.Expired, Deadline, "the session to be reported expired", poll: TimeSpan.FromMilliseconds(25));

        await Assert.ThrowsAsync<SessionExpiredException>(() => client.ExistsAsync(path));
        Assert.Contains(ZooKeeperState.Expired, changes);
        await client.DisposeAsync();
        Assert.Equal(ZooKeeperState.Expired, client.State);
        await using var fresh = await ConnectAsync();
        Assert.NotEqual(client.SessionId, fresh.SessionId);
        Assert.Null(await fresh.ExistsAsync(path));
    }

    [Fact]
    public async Task SessionTimedOutWhileDisconnected_IsReportedAsExpired()
    {
        var path = TestPaths.Unique();
        await using var client = await ConnectAsync(TimeSpan.FromSeconds(1));
        await client.CreateAsync(path, default, CreateMode.Ephemeral);
        await using var observer = await ConnectAsync();

        client.HoldReconnects();
        client.DropConnection();
        await Wait.UntilAsync(async () => await observer.ExistsAsync(path) is null, Deadline, "the server to expire the silent session", poll: TimeSpan.FromMilliseconds(25));
        var waiting = client.ExistsAsync(path);
        client.ReleaseReconnects();

        await Assert.ThrowsAsync<SessionExpiredException>(() => waiting);
        Assert.Equal(ZooKeeperState.Expired, client.State);
    }

    [Fact]
    public async Task ResumingAnUnknownSession_ThrowsSessionExpired()
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectionString = _zooKeeper.ConnectionString,
            SessionId = 0x1234_5678_9abc,
            SessionPassword = new byte[16],
        };

        await Assert.ThrowsAsync<SessionExpiredException>(() => ZooKeeperClient.ConnectAsync(options));
    }

    [Fact]
    public async Task NoReachableServer_ThrowsConnectionLossAfterTheConnectTimeout()
    {
        var unusedPort = FreePorts.Pick(1)[0];
        var options = new ZooKeeperClientOptions
        {
            ConnectionString = $"127.0.0.1:{unusedPort}",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync(options));

        Assert.Equal(ZooKeeperErrorCode.ConnectionLoss, error.Code);
    }

    private static ConcurrentQueue<ZooKeeperState> Record(ZooKeeperClient client)
    {
        var changes = new ConcurrentQueue<ZooKeeperState>();
        client.StateChanged += (_, e) => changes.Enqueue(e.Current);
        return changes;
    }

    private Task<ZooKeeperClient> ConnectAsync(TimeSpan? sessionTimeout = null, string? connectionString = null) =>
        ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = connectionString ?? _zooKeeper.ConnectionString,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
        });
}
