using System.Text;
using DiMint.Testing;
using DiMint.Testing.ZooKeeper;

namespace DiMint.ZooKeeper.Tests;

[Collection(StandaloneZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class ZooKeeperClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly ZooKeeperStandaloneFixture _zooKeeper;
    private ZooKeeperClient _client = null!;

    public ZooKeeperClientTests(ZooKeeperStandaloneFixture zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    public async Task InitializeAsync() => _client = await ZooKeeperClient.ConnectAsync(_zooKeeper.ConnectionString);

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task Connect_NegotiatesSession()
    {
        Assert.Equal(ZooKeeperState.Connected, _client.State);
        Assert.NotEqual(0, _client.SessionId);
        Assert.Equal(16, _client.GetSessionPassword().Length);
        Assert.True(_client.SessionTimeout > TimeSpan.Zero);
        Assert.Equal(_zooKeeper.ConnectionString, _client.ConnectedServer);
    }

    [Fact]
    public async Task Create_ThenGetData_ReturnsDataAndVersionZero()
    {
        var path = TestPaths.Unique();

        var created = await _client.CreateAsync(path, Bytes("hello"));
        var read = await _client.GetDataAsync(path);

        Assert.Equal(path, created.Path);
        Assert.Equal(0, created.Stat.Version);
        Assert.Equal("hello", Encoding.UTF8.GetString(read.Data));
        Assert.Equal(0, read.Stat.Version);
        Assert.Equal(5, read.Stat.DataLength);
        Assert.Equal(0, read.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task Create_Existing_ThrowsNodeExists()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, Bytes("a"));

        var error = await Assert.ThrowsAsync<NodeExistsException>(() => _client.CreateAsync(path, Bytes("b")));

        Assert.Equal(ZooKeeperErrorCode.NodeExists, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public async Task Create_WithoutParent_ThrowsNoNode()
    {
        var error = await Assert.ThrowsAsync<NoNodeException>(() => _client.CreateAsync(TestPaths.Unique() + "/child", Bytes("x")));

        Assert.Equal(ZooKeeperErrorCode.NoNode, error.Code);
    }

    [Fact]
    public async Task CreateSequential_AppendsIncreasingTenDigitSuffix()
    {
        var parent = TestPaths.Unique();
        await _client.CreateAsync(parent, default);

        var first = await _client.CreateAsync(parent + "/item-", default, CreateMode.PersistentSequential);
        var second = await _client.CreateAsync(parent + "/item-", default, CreateMode.EphemeralSequential);

        Assert.Equal(parent + "/item-0000000000", first.Path);
        Assert.Equal(parent + "/item-0000000001", second.Path);
        Assert.Equal(_client.SessionId, second.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task CreateEphemeral_IsDeletedWhenTheSessionCloses()
    {
        var path = TestPaths.Unique();
        await using (var owner = await ZooKeeperClient.ConnectAsync(_zooKeeper.ConnectionString))
        {
            var created = await owner.CreateAsync(path, Bytes("e"), CreateMode.Ephemeral);
            Assert.Equal(owner.SessionId, created.Stat.EphemeralOwner);
            Assert.NotNull(await _client.ExistsAsync(path));
            await owner.CloseAsync();
            Assert.Equal(ZooKeeperState.Closed, owner.State);
        }

        Assert.Null(await _client.ExistsAsync(path));
    }

    [Fact]
    public async Task Exists_ReturnsStatOrNull()
    {
        var path = TestPaths.Unique();
        Assert.Null(await _client.ExistsAsync(path));

        await _client.CreateAsync(path, Bytes("abc"));
        var stat = await _client.ExistsAsync(path);

        Assert.NotNull(stat);
        Assert.Equal(3, stat.DataLength);
    }

    [Fact]
    public async Task SetData_WithMatchingVersion_BumpsVersion_AndStaleVersionThrowsBadVersion()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, Bytes("v0"));

        var stat = await _client.SetDataAsync(path, Bytes("v1"), version: 0);
        var stale = await Assert.ThrowsAsync<BadVersionException>(() => _client.SetDataAsync(path, Bytes("v2"), version: 0));
        var unconditional = await _client.SetDataAsync(path, Bytes("v3"));

        Assert.Equal(1, stat.Version);
        Assert.Equal(ZooKeeperErrorCode.BadVersion, stale.Code);
        Assert.Equal(2, unconditional.Version);
        Assert.Equal("v3", Encoding.UTF8.GetString((await _client.GetDataAsync(path)).Data));
    }

    [Fact]
    public async Task ReadAndWrite_MissingNode_ThrowNoNode()
    {
        var path = TestPaths.Unique();

        await Assert.ThrowsAsync<NoNodeException>(() => _client.GetDataAsync(path));
        await Assert.ThrowsAsync<NoNodeException>(() => _client.SetDataAsync(path, Bytes("x")));
        await Assert.ThrowsAsync<NoNodeException>(() => _client.DeleteAsync(path));
        await Assert.ThrowsAsync<NoNodeException>(() => _client.GetChildrenAsync(path));
    }

    [Fact]
    public async Task Delete_ChecksVersionAndChildren()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, Bytes("p"));
        await _client.CreateAsync(path + "/child", Bytes("c"));

        var notEmpty = await Assert.ThrowsAsync<NotEmptyException>(() => _client.DeleteAsync(path));
        await Assert.ThrowsAsync<BadVersionException>(() => _client.DeleteAsync(path + "/child", version: 7));
        await _client.DeleteAsync(path + "/child", version: 0);
        await _client.DeleteAsync(path);

        Assert.Equal(ZooKeeperErrorCode.NotEmpty, notEmpty.Code);
        Assert.Null(await _client.ExistsAsync(path));
    }

    [Fact]
    public async Task GetChildren_ReturnsNamesAndParentStat()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, default);
        await _client.CreateAsync(path + "/a", default);
        await _client.CreateAsync(path + "/b", default);

        var children = await _client.GetChildrenAsync(path);

        Assert.Equal(["a", "b"], children.Children.Order(StringComparer.Ordinal));
        Assert.Equal(2, children.Stat.NumChildren);
        Assert.Equal(2, children.Stat.ChildVersion);
    }

    [Fact]
    public async Task Sync_AnswersOnlyOnceTheServerHas_AndAReadAfterItSeesAnotherSessionsWrite()
    {
        var path = TestPaths.Unique();
        await using var proxy = ReplyHoldingProxy.Start(_zooKeeper.ConnectionString);
        await using var reader = await ZooKeeperClient.ConnectAsync(proxy.ConnectionString);
        await _client.CreateAsync(path, Bytes("written by another session"));

        // The server's answer to the sync is held on its way: the sync must still be waiting for it.
        proxy.HoldReplies();
        var sync = reader.SyncAsync(path);
        await Wait.UntilAsync(() => proxy.HeldReplies == 1, Deadline, "the server to answer the sync", poll: TimeSpan.FromMilliseconds(25));
        Assert.False(sync.IsCompleted);
        await proxy.ReleaseRepliesAsync();
        await sync.WaitAsync(Deadline);

        var read = await reader.GetDataAsync(path);
        Assert.Equal("written by another session", Encoding.UTF8.GetString(read.Data));
    }

    [Fact]
    public async Task Chroot_PrefixesEveryPath_AndStripsCreatedPaths()
    {
        var root = TestPaths.Unique();
        await _client.CreateAsync(root, default);
        await using var rooted = await ZooKeeperClient.ConnectAsync(_zooKeeper.ConnectionString + root);

        var created = await rooted.CreateAsync("/node-", Bytes("in chroot"), CreateMode.PersistentSequential);
        var multi = await rooted.MultiAsync([ZooKeeperOp.Create("/other", Bytes("m"))]);
        var children = await rooted.GetChildrenAsync("/");

        Assert.Equal(root, rooted.Chroot);
        Assert.Equal("/node-0000000000", created.Path);
        Assert.Equal("/other", multi.Results[0].Path);
        Assert.Equal(2, children.Children.Count);
        Assert.Equal("in chroot", Encoding.UTF8.GetString((await _client.GetDataAsync(root + "/node-0000000000")).Data));
    }

    [Fact]
    public async Task AMissingChroot_IsCreated_WithEveryLevel()
    {
        var root = TestPaths.Unique();
        await using var rooted = await ZooKeeperClient.ConnectAsync(_zooKeeper.ConnectionString + root + "/dimint/cluster");

        await rooted.CreateAsync("/node", Bytes("in a new chroot"));

        Assert.Equal("in a new chroot", Encoding.UTF8.GetString((await _client.GetDataAsync(root + "/dimint/cluster/node")).Data));
    }

    [Fact]
    public async Task WithADigest_TheNodesItCreates_AreItsUsersOnly()
    {
        var root = TestPaths.Unique();
        var owner = new ZooKeeperClientOptions { ConnectionString = _zooKeeper.ConnectionString + root, Digest = "dimint:s3cret" };
        await using var protectedClient = await ZooKeeperClient.ConnectAsync(owner);
        await protectedClient.CreateAsync("/ring", Bytes("the ring"));

        // Without credentials, or with another password, nothing can be read, written or created there.
        foreach (var digest in new string?[] { null, "dimint:wrong" })
        {
            await using var other = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = _zooKeeper.ConnectionString, Digest = digest });
            Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAnyAsync<ZooKeeperException>(() => other.GetDataAsync(root + "/ring"))).Code);
            Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAnyAsync<ZooKeeperException>(() => other.SetDataAsync(root + "/ring", Bytes("x")))).Code);
            Assert.Equal(ZooKeeperErrorCode.NoAuth, (await Assert.ThrowsAnyAsync<ZooKeeperException>(() => other.CreateAsync(root + "/intruder", default))).Code);
        }

        // The same user, on another session (and so another connection), reads it.
        await using var again = await ZooKeeperClient.ConnectAsync(owner);
        Assert.Equal("the ring", Encoding.UTF8.GetString((await again.GetDataAsync("/ring")).Data));
        await Assert.ThrowsAsync<FormatException>(() => ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = _zooKeeper.ConnectionString, Digest = "no-password" }));
    }

    [Fact]
    public async Task PipelinedRequests_AreMatchedToTheirReplies()
    {
        var parent = TestPaths.Unique();
        await _client.CreateAsync(parent, default);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _client.CreateAsync($"{parent}/n{i}", Bytes($"value {i}"))));
        var reads = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _client.GetDataAsync($"{parent}/n{i}")));

        for (var i = 0; i < reads.Length; i++)
        {
            Assert.Equal($"value {i}", Encoding.UTF8.GetString(reads[i].Data));
        }
    }

    [Fact]
    public async Task Multi_AllOperationsSucceed_WithPerOperationResults()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, Bytes("base"));

        var result = await _client.MultiAsync(
        [
            ZooKeeperOp.Check(path, 0),
            ZooKeeperOp.Create(path + "/a", Bytes("a")),
            ZooKeeperOp.SetData(path, Bytes("changed"), 0),
            ZooKeeperOp.Create(path + "/gone", default),
            ZooKeeperOp.Delete(path + "/gone"),
        ]);

        Assert.True(result.Succeeded);
        Assert.Equal(-1, result.FailedIndex);
        Assert.All(result.Results, r => Assert.Equal(ZooKeeperErrorCode.Ok, r.Code));
        Assert.Equal(
            [ZooKeeperOpKind.Check, ZooKeeperOpKind.Create, ZooKeeperOpKind.SetData, ZooKeeperOpKind.Create, ZooKeeperOpKind.Delete],
            result.Results.Select(r => r.Kind));
        Assert.Equal(path + "/a", result.Results[1].Path);
        Assert.Equal(1, result.Results[2].Stat!.Version);
        Assert.Equal("changed", Encoding.UTF8.GetString((await _client.GetDataAsync(path)).Data));
        Assert.Null(await _client.ExistsAsync(path + "/gone"));
    }

    [Fact]
    public async Task Multi_OneOperationFails_NothingApplies_AndResultsNameTheFailure()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, Bytes("base"));

        var result = await _client.MultiAsync(
        [
            ZooKeeperOp.Create(path + "/new", default),
            ZooKeeperOp.Check(path, 5),
            ZooKeeperOp.SetData(path, Bytes("never")),
        ]);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.FailedIndex);
        Assert.Equal(ZooKeeperErrorCode.BadVersion, result.Error);
        Assert.Equal(
            [ZooKeeperErrorCode.Ok, ZooKeeperErrorCode.BadVersion, ZooKeeperErrorCode.RuntimeInconsistency],
            result.Results.Select(r => r.Code));
        Assert.Null(await _client.ExistsAsync(path + "/new"));
        Assert.Equal("base", Encoding.UTF8.GetString((await _client.GetDataAsync(path)).Data));
        var thrown = Assert.Throws<BadVersionException>(() => result.ThrowIfFailed());
        Assert.Equal(path, thrown.Path);
    }

    [Fact]
    public async Task Multi_CreateExisting_ReportsNodeExists()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, default);

        var result = await _client.MultiAsync([ZooKeeperOp.Delete(path), ZooKeeperOp.Create(path + "/x", default), ZooKeeperOp.Create(path, default)]);

        Assert.False(result.Succeeded);
        Assert.Equal(ZooKeeperErrorCode.NoNode, result.Results[1].Code);
        Assert.NotNull(await _client.ExistsAsync(path));
    }

    [Fact]
    public async Task RequestOverOneMegabyte_IsRefusedBeforeSending_AndTheSessionStaysUsable()
    {
        var path = TestPaths.Unique();
        await _client.CreateAsync(path, default);

        var error = await Assert.ThrowsAsync<RequestTooLargeException>(() => _client.SetDataAsync(path, new byte[1024 * 1024]));
        var nearLimit = new byte[1_040_000];
        Random.Shared.NextBytes(nearLimit);
        await _client.SetDataAsync(path, nearLimit);
        var read = await _client.GetDataAsync(path);

        Assert.Equal(ZooKeeperClientOptions.DefaultMaxFrameLength, error.MaxFrameLength);
        Assert.True(error.FrameLength > error.MaxFrameLength);
        Assert.Contains("not sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(nearLimit, read.Data);
        Assert.Equal(1, read.Stat.Version);
        Assert.Equal(ZooKeeperState.Connected, _client.State);
    }

    [Fact]
    public async Task InvalidPath_IsRejectedBeforeSending()
    {
        Assert.Throws<ArgumentException>(() => ZooKeeperOp.Delete("no-slash"));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetDataAsync("/a//b"));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.CreateAsync("/trailing/", default));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
