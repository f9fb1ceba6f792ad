using DiMint.Grains.Hosting;
using Orleans.Storage;

namespace DiMint.Grains.Tests.Hosting;

/// <summary>
/// The files a local cluster keeps its ring in: what one silo wrote, another (a new process) reads, and a write is a
/// compare-and-swap on the version read, so two overlord activations never both publish from the same ring.
/// </summary>
public sealed class FileGrainStorageTests : IDisposable
{
    private static readonly GrainId Overlord = GrainId.Create("overlord", "0");
    private readonly string _directory = Directory.CreateTempSubdirectory("dimint-ring-").FullName;

    [Fact]
    public async Task StateWritten_IsReadByAnotherInstance_WithItsVersion()
    {
        var written = new GrainState<Sample> { State = new Sample { Version = 7, Name = "ring" } };
        await NewStorage().WriteStateAsync("ring", Overlord, written);

        var read = new GrainState<Sample>();
        await NewStorage().ReadStateAsync("ring", Overlord, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(new Sample { Version = 7, Name = "ring" }, read.State);
    }

    [Fact]
    public async Task NothingStored_ReadsAsNoRecord()
    {
        var read = new GrainState<Sample>();
        await NewStorage().ReadStateAsync("ring", Overlord, read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
    }

    [Fact]
    public async Task WriteFromAStaleVersion_IsRefused_AndChangesNothing()
    {
        var first = new GrainState<Sample> { State = new Sample { Version = 1 } };
        await NewStorage().WriteStateAsync("ring", Overlord, first);
        var other = new GrainState<Sample>();
        await NewStorage().ReadStateAsync("ring", Overlord, other);

        // One activation publishes; the other, holding the same version, must not overwrite it.
        first.State = new Sample { Version = 2 };
        await NewStorage().WriteStateAsync("ring", Overlord, first);
        other.State = new Sample { Version = 99 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => NewStorage().WriteStateAsync("ring", Overlord, other));

        // A second creation (no version read) is refused too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => NewStorage().WriteStateAsync("ring", Overlord, new GrainState<Sample> { State = new Sample { Version = 98 } }));

        var read = new GrainState<Sample>();
        await NewStorage().ReadStateAsync("ring", Overlord, read);
        Assert.Equal(2, read.State!.Version);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task ConcurrentWritersFromOneVersion_ExactlyOneWins()
    {
        var start = new GrainState<Sample> { State = new Sample { Version = 0 } };
        await NewStorage().WriteStateAsync("ring", Overlord, start);

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(async i =>
        {
            var state = new GrainState<Sample> { State = new Sample { Version = i }, ETag = start.ETag, RecordExists = true };
            try
            {
                await Task.Run(() => NewStorage().WriteStateAsync("ring", Overlord, state));
                return i;
            }
            catch (InconsistentStateException)
            {
                return 0;
            }
        }));

        var winner = Assert.Single(results, r => r != 0);
        var read = new GrainState<Sample>();
        await NewStorage().ReadStateAsync("ring", Overlord, read);
        Assert.Equal(winner, read.State!.Version);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private FileGrainStorage NewStorage() =>
        new("DiMintRing", new FileGrainStorageOptions { Directory = _directory, GrainStorageSerializer = new JsonSerializer() }, TimeProvider.System);

    public sealed record Sample
    {
        public long Version { get; init; }

        public string Name { get; init; } = string.Empty;
    }

    private sealed class JsonSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => BinaryData.FromObjectAsJson(input);

        public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>()!;
    }
}
