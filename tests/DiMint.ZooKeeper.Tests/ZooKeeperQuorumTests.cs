using System.Text;
using DiMint.Testing;
using DiMint.Testing.ZooKeeper;

namespace DiMint.ZooKeeper.Tests;

[Collection(QuorumZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class ZooKeeperQuorumTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ZooKeeperQuorumFixture _quorum;

    public ZooKeeperQuorumTests(ZooKeeperQuorumFixture quorum)
    {
        _quorum = quorum;
    }

    public Task InitializeAsync() => _quorum.Ensemble.EnsureAllRunningAsync();

    // Every test leaves the full ensemble behind for the next one.
    public Task DisposeAsync() => _quorum.Ensemble.EnsureAllRunningAsync();

    [Fact]
    public async Task Ensemble_HasExactlyOneLeader()
    {
        var modes = await Task.WhenAll(_quorum.Ensemble.Servers.Select(s => s.GetModeAsync()));

        Assert.Equal(1, modes.Count(m => m == "leader"));
        Assert.Equal(2, modes.Count(m => m == "follower"));
    }

    [Fact]
    public async Task KillConnectedServer_ClientMovesToAnotherMember_WithSessionAndEphemeralIntact()
    {
        var path = TestPaths.Unique();
        await using var client = await ZooKeeperClient.ConnectAsync(_quorum.ConnectionString);
        var sessionId = client.SessionId;
        await client.CreateAsync(path, Encoding.UTF8.GetBytes("still here"), CreateMode.Ephemeral);
        var connectedTo = _quorum.Ensemble.GetServer(client.ConnectedServer!);

        await connectedTo.KillAsync();
        await Wait.UntilAsync(
            () => client.State == ZooKeeperState.Connected && client.ConnectedServer != connectedTo.ConnectionString,
            Deadline,
            "the client to reconnect to another member", poll: TimeSpan.FromMilliseconds(25));

        var data = await client.GetDataAsync(path);
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(sessionId, data.Stat.EphemeralOwner);
        Assert.Equal("still here", Encoding.UTF8.GetString(data.Data));
        await client.SetDataAsync(path, Encoding.UTF8.GetBytes("written after failover"), version: 0);
        await using var observer = await ZooKeeperClient.ConnectAsync(_quorum.ConnectionString);
        await observer.SyncAsync(path);
        Assert.Equal("written after failover", Encoding.UTF8.GetString((await observer.GetDataAsync(path)).Data));
    }

    [Fact]
    public async Task KillLeader_SessionOnFollowerSurvivesTheElection()
    {
        var path = TestPaths.Unique();
        var leader = await _quorum.Ensemble.GetLeaderAsync();
        var followers = _quorum.Ensemble.Servers.Where(s => s != leader).ToArray();
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = string.Join(',', followers.Select(f => f.ConnectionString)),
        });
        var sessionId = client.SessionId;
        await client.CreateAsync(path, default, CreateMode.Ephemeral);

        await leader.KillAsync();
        var newLeader = await _quorum.Ensemble.GetLeaderAsync(Deadline);
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    return await client.ExistsAsync(path) is { } stat && stat.EphemeralOwner == sessionId;
                }
                catch (ConnectionLossException)
                {
                    return false;
                }
            },
            Deadline,
            "the session to be usable after the election", poll: TimeSpan.FromMilliseconds(25));

        Assert.Contains(newLeader, followers);
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(ZooKeeperState.Connected, client.State);
    }
}
