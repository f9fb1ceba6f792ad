using DiMint.Testing;
using DiMint.Testing.ZooKeeper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace DiMint.ZooKeeper.Tests;

[Collection(StandaloneZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class ZooKeeperGrainStorageTests : IAsyncLifetime
{
    private const string StateName = "ring";
    private readonly ZooKeeperStandaloneFixture _zooKeeper;
    private readonly string _clusterId = "storage-" + Guid.NewGuid().ToString("N")[..10];
    private ZooKeeperGrainStorage _storage = null!;
    private ZooKeeperClient _client = null!;

    public ZooKeeperGrainStorageTests(ZooKeeperStandaloneFixture zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    public async Task InitializeAsync()
    {
        _storage = NewStorage(_zooKeeper.ConnectionString);
        _client = await ZooKeeperClient.ConnectAsync(_zooKeeper.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        await _client.DisposeAsync();
    }

    [Fact]
    public async Task Write_ThenRead_RoundTripsTheStateAndTheETag()
    {
        var grainId = GrainId.Create("overlord", "ring/0.v1");
        var written = new GrainState<RingState>(new RingState(3, ["a", "b"]));

        await _storage.WriteStateAsync(StateName, grainId, written);
        var read = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, read);

        Assert.Equal("0", written.ETag);
        Assert.True(written.RecordExists);
        Assert.Equal("0", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(3, read.State!.Version);
        Assert.Equal(["a", "b"], read.State.Ranges);
        var path = _storage.GetPath(StateName, grainId);
        Assert.Equal($"/{_clusterId}-dimint/ring/overlord%2Fring%2F0%2Ev1", path);
        Assert.Equal(0, (await _client.ExistsAsync(path))!.Version);
    }

    [Fact]
    public async Task Write_WithTheCurrentETag_AdvancesTheETag()
    {
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        var state = new GrainState<RingState>(new RingState(1, []));
        await _storage.WriteStateAsync(StateName, grainId, state);

        state.State = new RingState(2, ["x"]);
        await _storage.WriteStateAsync(StateName, grainId, state);

        Assert.Equal("1", state.ETag);
        var read = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(2, read.State!.Version);
    }

    [Fact]
    public async Task Write_WithAStaleETag_ThrowsInconsistentState_AndKeepsTheWinner()
    {
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        await _storage.WriteStateAsync(StateName, grainId, new GrainState<RingState>(new RingState(1, [])));
        var first = new GrainState<RingState>();
        var second = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, first);
        await _storage.ReadStateAsync(StateName, grainId, second);

        first.State = new RingState(2, ["first"]);
        await _storage.WriteStateAsync(StateName, grainId, first);
        second.State = new RingState(2, ["second"]);
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, grainId, second));

        Assert.Equal("1", conflict.StoredEtag);
        Assert.Equal("0", conflict.CurrentEtag);
        var read = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(["first"], read.State!.Ranges);
    }

    [Fact]
    public async Task FirstWrite_WhenAnotherActivationAlreadyCreatedTheState_ThrowsInconsistentState()
    {
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        await _storage.WriteStateAsync(StateName, grainId, new GrainState<RingState>(new RingState(1, ["winner"])));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteStateAsync(StateName, grainId, new GrainState<RingState>(new RingState(1, ["loser"]))));
    }

    [Fact]
    public async Task Read_OfAMissingState_ReportsNoRecord()
    {
        var read = new GrainState<RingState>();

        await _storage.ReadStateAsync(StateName, GrainId.Create("overlord", Guid.NewGuid().ToString("N")), read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
    }

    [Fact]
    public async Task Clear_DeletesWithTheETag_AndAStaleETagThrows()
    {
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        var state = new GrainState<RingState>(new RingState(1, []));
        await _storage.WriteStateAsync(StateName, grainId, state);
        var stale = new GrainState<RingState> { ETag = state.ETag };
        await _storage.WriteStateAsync(StateName, grainId, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, grainId, stale));
        await _storage.ClearStateAsync(StateName, grainId, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Null(await _client.ExistsAsync(_storage.GetPath(StateName, grainId)));
    }

    [Fact]
    public async Task SessionExpired_TheStorageOpensANewSession_AndReadsAndWritesWithTheSameETags()
    {
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        var state = new GrainState<RingState>(new RingState(1, ["before"]));
        await _storage.WriteStateAsync(StateName, grainId, state);
        var stale = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, stale);

        var expired = await SessionExpiry.ExpireAsync(_storage.Session, _zooKeeper.ConnectionString);
        var read = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, read);

        // The state is a persistent node: it outlives the session that wrote it, at the same version.
        Assert.NotEqual(expired, _storage.Session.Current!.SessionId);
        Assert.True(read.RecordExists);
        Assert.Equal("0", read.ETag);
        Assert.Equal(["before"], read.State!.Ranges);

        // The overlord keeps its ETag across the expiry: its next write is still a compare-and-swap from it.
        state.State = new RingState(2, ["after"]);
        await _storage.WriteStateAsync(StateName, grainId, state);
        stale.State = new RingState(2, ["stale"]);
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, grainId, stale));

        Assert.Equal("1", state.ETag);
        Assert.Equal("1", conflict.StoredEtag);
        var final = new GrainState<RingState>();
        await _storage.ReadStateAsync(StateName, grainId, final);
        Assert.Equal("1", final.ETag);
        Assert.Equal(["after"], final.State!.Ranges);
    }

    [Fact]
    public async Task WriteWhoseAnswerIsLostWhenTheSessionExpires_IsAppliedOnce_AndItsRetryConflicts()
    {
        await using var proxy = ReplyHoldingProxy.Start(_zooKeeper.ConnectionString);
        await using var storage = NewStorage(proxy.ConnectionString);
        var grainId = GrainId.Create("overlord", Guid.NewGuid().ToString("N"));
        await storage.WriteStateAsync(StateName, grainId, new GrainState<RingState>(new RingState(1, ["before"])));
        var state = new GrainState<RingState>();
        await storage.ReadStateAsync(StateName, grainId, state);

        // The server applies the write and answers; the answer is held, and the session expires before it arrives.
        proxy.HoldReplies();
        state.State = new RingState(2, ["lost answer"]);
        var write = storage.WriteStateAsync(StateName, grainId, state);
        await Wait.UntilAsync(() => proxy.HeldReplies == 1, TimeSpan.FromSeconds(20), "the server to answer the write", TimeSpan.FromMilliseconds(25));
        await SessionExpiry.ExpireAsync(storage.Session, _zooKeeper.ConnectionString);

        await Assert.ThrowsAsync<ConnectionLossException>(() => write);
        Assert.Equal("0", state.ETag);
        var read = new GrainState<RingState>();
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal("1", read.ETag);
        Assert.Equal(["lost answer"], read.State!.Ranges);

        // Sent again from the ETag it was sent with, the write is refused, not applied a second time.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, state));
        Assert.Equal(1, (await _client.ExistsAsync(storage.GetPath(StateName, grainId)))!.Version);
    }

    private ZooKeeperGrainStorage NewStorage(string connectionString)
    {
        var options = new ZooKeeperStorageOptions
        {
            ConnectionString = connectionString,
            GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions())),
        };
        return new ZooKeeperGrainStorage(
            "zk", options, Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "dimint" }), NullLogger<ZooKeeperGrainStorage>.Instance);
    }

    /// <summary>A stand-in for the ring the overlord publishes.</summary>
    public sealed record RingState(int Version, List<string> Ranges)
    {
        public RingState()
            : this(0, [])
        {
        }
    }
}
