using System.Globalization;
using DiMint.ZooKeeper.Hosting;
using DiMint.ZooKeeper.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace DiMint.ZooKeeper;

/// <summary>
/// Orleans grain storage on ZooKeeper: each state is a persistent znode at
/// <c>&lt;RootPath&gt;/&lt;state name&gt;/&lt;escaped grain id&gt;</c> whose znode version is the ETag. Writes are
/// compare-and-swaps on that version, so two activations can never both write from the same ETag: the loser gets
/// <see cref="InconsistentStateException"/>. States are limited by ZooKeeper's ~1 MB request size.
/// </summary>
public sealed partial class ZooKeeperGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly string _name;
    private readonly ZooKeeperStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ZooKeeperSessionHolder _session;
    private readonly ILogger _logger;
    private readonly string _rootPath;

    /// <summary>Creates the provider <paramref name="name"/>.</summary>
    public ZooKeeperGrainStorage(
        string name, ZooKeeperStorageOptions options, IOptions<ClusterOptions> clusterOptions, ILogger<ZooKeeperGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        _name = name;
        _options = options;
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"ZooKeeper grain storage '{name}' has no GrainStorageSerializer.", nameof(options));
        _logger = logger;
        _rootPath = options.RootPath ?? "/" + clusterOptions.Value.ClusterId + "-dimint";
        ZooKeeperPath.Validate(_rootPath);
        _session = new ZooKeeperSessionHolder(options.ConnectionString, options.SessionTimeout, options.Digest, logger);
    }

    /// <summary>The session this provider uses (tests expire it from outside).</summary>
    internal ZooKeeperSessionHolder Session => _session;

    /// <summary>The znode that holds <paramref name="stateName"/> of <paramref name="grainId"/>.</summary>
    public string GetPath(string stateName, GrainId grainId) =>
        $"{(_rootPath == "/" ? string.Empty : _rootPath)}/{ZnodeName.Escape(stateName)}/{ZnodeName.Escape(grainId.ToString())}";

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var path = GetPath(stateName, grainId);
        try
        {
            var node = await client.GetDataAsync(path, cancellationToken).ConfigureAwait(false);
            grainState.State = _serializer.Deserialize<T>(new BinaryData(node.Data));
            grainState.ETag = FormatETag(node.Stat.Version);
            grainState.RecordExists = true;
        }
        catch (NoNodeException)
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var path = GetPath(stateName, grainId);
        var payload = _serializer.Serialize(grainState.State).ToMemory();
        ZooKeeperStat stat;
        if (grainState.ETag is null)
        {
            try
            {
                stat = await CreateWithParentsAsync(client, path, payload, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                throw await ConflictAsync(client, path, stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            if (!TryParseETag(grainState.ETag, out var expected))
            {
                throw await ConflictAsync(client, path, stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                stat = await client.SetDataAsync(path, payload, expected, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException e) when (e.Code is ZooKeeperErrorCode.BadVersion or ZooKeeperErrorCode.NoNode)
            {
                throw await ConflictAsync(client, path, stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
            }
        }

        grainState.ETag = FormatETag(stat.Version);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var path = GetPath(stateName, grainId);
        if (grainState.ETag is null)
        {
            // Nothing was read or written: clearing is only consistent if nothing is stored.
            if (await client.ExistsAsync(path, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw await ConflictAsync(client, path, stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            try
            {
                if (!TryParseETag(grainState.ETag, out var expected))
                {
                    throw new BadVersionException(path);
                }

                await client.DeleteAsync(path, expected, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException e) when (e.Code is ZooKeeperErrorCode.BadVersion or ZooKeeperErrorCode.NoNode)
            {
                throw await ConflictAsync(client, path, stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
            }
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(
            OptionFormattingUtilities.Name<ZooKeeperGrainStorage>(_name),
            _options.InitStage,
            async cancellationToken =>
            {
                await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
                LogInitialized(_logger, _name, _rootPath);
            },
            async _ => await _session.DisposeAsync().ConfigureAwait(false));
    }

    /// <summary>Closes the ZooKeeper session.</summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private static string FormatETag(int version) => version.ToString(CultureInfo.InvariantCulture);

    private static bool TryParseETag(string etag, out int version) =>
        int.TryParse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture, out version) && version >= 0;

    private static async Task<ZooKeeperStat> CreateWithParentsAsync(
        ZooKeeperClient client, string path, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.CreateAsync(path, payload, CreateMode.Persistent, cancellationToken).ConfigureAwait(false)).Stat;
        }
        catch (NoNodeException)
        {
            await EnsurePathAsync(client, ZooKeeperPath.Parent(path)!, cancellationToken).ConfigureAwait(false);
            return (await client.CreateAsync(path, payload, CreateMode.Persistent, cancellationToken).ConfigureAwait(false)).Stat;
        }
    }

    private static async Task EnsurePathAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        if (path == "/" || await client.ExistsAsync(path, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await EnsurePathAsync(client, ZooKeeperPath.Parent(path)!, cancellationToken).ConfigureAwait(false);
        try
        {
            await client.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // Created concurrently by another writer.
        }
    }

    private async Task<InconsistentStateException> ConflictAsync(
        ZooKeeperClient client, string path, string stateName, GrainId grainId, string? etag, CancellationToken cancellationToken)
    {
        var stored = await client.ExistsAsync(path, cancellationToken).ConfigureAwait(false);
        var storedETag = stored is null ? "(none)" : FormatETag(stored.Version);
        LogConflict(_logger, _name, stateName, grainId, etag ?? "(none)", storedETag);
        return new InconsistentStateException(
            $"ZooKeeper storage '{_name}': the ETag of state '{stateName}' of grain {grainId} is {etag ?? "(none)"} but the stored version is {storedETag}.",
            storedETag,
            etag ?? "(none)");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper grain storage {Name} ready under {RootPath}")]
    private static partial void LogInitialized(ILogger logger, string name, string rootPath);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZooKeeper grain storage {Name}: version conflict on state {StateName} of {GrainId} (ETag {ETag}, stored {StoredETag})")]
    private static partial void LogConflict(ILogger logger, string name, string stateName, GrainId grainId, string eTag, string storedETag);
}
