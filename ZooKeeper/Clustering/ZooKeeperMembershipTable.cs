using DiMint.ZooKeeper.Clustering;
using DiMint.ZooKeeper.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace DiMint.ZooKeeper;

/// <summary>
/// The Orleans membership table on ZooKeeper. The table is the node <c>/&lt;ClusterId&gt;</c> (its znode version is
/// the table version), with one persistent child per silo holding its row (the row ETag is the child's version) and
/// an <c>IAmAlive</c> grandchild for heartbeats. Inserts and updates are atomic multi-ops conditioned on the table
/// version and the row version. Registered by <c>UseDiMintZooKeeperClustering</c>.
/// </summary>
public sealed partial class ZooKeeperMembershipTable : IMembershipTable, IAsyncDisposable
{
    private readonly ZooKeeperSessionHolder _session;
    private readonly ZooKeeperMembershipStore _store;
    private readonly ILogger _logger;

    /// <summary>Creates the table for the cluster of <paramref name="clusterOptions"/>.</summary>
    public ZooKeeperMembershipTable(
        IOptions<ZooKeeperClusteringOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<ZooKeeperMembershipTable> logger)
        : this(options, clusterOptions, logger, TimeProvider.System)
    {
    }

    /// <summary>Creates the table with <paramref name="time"/> saying when heartbeats were last read (tests).</summary>
    internal ZooKeeperMembershipTable(
        IOptions<ZooKeeperClusteringOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<ZooKeeperMembershipTable> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        _logger = logger;
        _session = new ZooKeeperSessionHolder(options.Value.ConnectionString, options.Value.SessionTimeout, options.Value.Digest, logger);
        _store = new ZooKeeperMembershipStore(_session, clusterOptions.Value.ClusterId, time);
    }

    /// <summary>The session this provider uses (tests expire it from outside).</summary>
    internal ZooKeeperSessionHolder Session => _session;

    /// <inheritdoc />
    [Obsolete("Use InitializeMembershipTableAsync instead.")]
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion);

    /// <inheritdoc />
    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken = default)
    {
        await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        LogInitialized(_logger, _store.ClusterPath);
    }

    /// <inheritdoc />
    [Obsolete("Use DeleteMembershipTableEntriesAsync instead.")]
    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId);

    /// <inheritdoc />
    public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken = default) =>
        _store.DeleteTableAsync(clusterId, cancellationToken);

    /// <inheritdoc />
    [Obsolete("Use CleanupDefunctSiloEntriesAsync instead.")]
    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate);

    /// <inheritdoc />
    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken = default)
    {
        var removed = await _store.CleanupDefunctSiloEntriesAsync(beforeDate, cancellationToken).ConfigureAwait(false);
        LogCleanedUp(_logger, removed, beforeDate);
    }

    /// <inheritdoc />
    [Obsolete("Use ReadRowAsync instead.")]
    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key);

    /// <inheritdoc />
    public Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken = default) =>
        _store.ReadRowAsync(key, cancellationToken);

    /// <inheritdoc />
    [Obsolete("Use ReadAllAsync instead.")]
    public Task<MembershipTableData> ReadAll() => ReadAllAsync();

    /// <inheritdoc />
    public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default) => _store.ReadAllAsync(cancellationToken);

    /// <inheritdoc />
    [Obsolete("Use InsertRowAsync instead.")]
    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion);

    /// <inheritdoc />
    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var inserted = await _store.InsertRowAsync(entry, tableVersion, cancellationToken).ConfigureAwait(false);
        if (!inserted)
        {
            LogConditionFailed(_logger, "insert", entry.SiloAddress, tableVersion.VersionEtag);
        }

        return inserted;
    }

    /// <inheritdoc />
    [Obsolete("Use UpdateRowAsync instead.")]
    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion);

    /// <inheritdoc />
    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var updated = await _store.UpdateRowAsync(entry, etag, tableVersion, cancellationToken).ConfigureAwait(false);
        if (!updated)
        {
            LogConditionFailed(_logger, "update", entry.SiloAddress, tableVersion.VersionEtag);
        }

        return updated;
    }

    /// <inheritdoc />
    [Obsolete("Use UpdateIAmAliveAsync instead.")]
    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry);

    /// <inheritdoc />
    public Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _store.UpdateIAmAliveAsync(entry, cancellationToken);
    }

    /// <summary>Closes the ZooKeeper session.</summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper membership table ready at {ClusterPath}")]
    private static partial void LogInitialized(ILogger logger, string clusterPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} defunct silo rows older than {BeforeDate}")]
    private static partial void LogCleanedUp(ILogger logger, int count, DateTimeOffset beforeDate);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Membership {Operation} of {Silo} lost a version race (table ETag {TableEtag})")]
    private static partial void LogConditionFailed(ILogger logger, string operation, SiloAddress silo, string tableEtag);
}
