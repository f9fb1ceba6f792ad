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
        var options = new ZooKeeperStorageOptions
        {
            ConnectionString = _zooKeeper.ConnectionString,
            GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions())),
        };
        _storage = new ZooKeeperGrainStorage(
            "zk", options, Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "dimint" }), NullLogger<ZooKeeperGrainStorage>.Instance);
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

    /// <summary>A stand-in for the ring the overlord publishes.</summary>
    public sealed record RingState(int Version, List<string> Ranges)
    {
        public RingState()
            : this(0, [])
        {
        }
    }
}
