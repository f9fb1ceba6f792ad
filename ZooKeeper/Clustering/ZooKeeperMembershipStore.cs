using System.Globalization;
using System.Text;
using DiMint.ZooKeeper.Hosting;
using Orleans;
using Orleans.Runtime;

namespace DiMint.ZooKeeper.Clustering;

/// <summary>
/// The membership table layout in ZooKeeper, shared by the silo's table and the client's gateway list:
/// <list type="bullet">
/// <item><c>/&lt;clusterId&gt;</c>: its znode version is the table version (and its ETag);</item>
/// <item><c>/&lt;clusterId&gt;/&lt;silo address&gt;</c>: one persistent node per silo holding its row; its version is the row ETag;</item>
/// <item><c>/&lt;clusterId&gt;/&lt;silo address&gt;/IAmAlive</c>: the silo's last heartbeat, written without conditions.</item>
/// </list>
/// Inserts and updates are multi-ops conditioned on the table version (and the row version), so they apply atomically.
/// <para>
/// Every silo reads the whole table every few seconds (Orleans' <c>TableRefreshTimeout</c>), which read every row and
/// every heartbeat: 2N + 2 requests, so N silos made about 2N² / 5 requests a second (16,000 at 200 silos). A read now
/// first asks for the table node's versions (its data version moves with every row change, its children version with
/// every row added or removed) and, when neither moved since the last read, answers the rows it read then, with the
/// heartbeats read again only every <see cref="HeartbeatsReadEvery"/>: one request, or N + 1.
/// </para>
/// </summary>
internal sealed class ZooKeeperMembershipStore
{
    /// <summary>
    /// How often a read re-reads the other silos' heartbeats while no row changed. Orleans counts a silo whose heartbeat
    /// (written every 30 s, <c>IAmAliveTablePublishTimeout</c>) is more than 90 s old as stale (it probes it from every
    /// silo and lowers the votes needed to declare a silo dead), so a heartbeat read at most 20 s late stays well inside.
    /// Nothing in Orleans declares a silo dead from its heartbeat: probes do.
    /// </summary>
    public static readonly TimeSpan HeartbeatsReadEvery = TimeSpan.FromSeconds(20);

    private const int MaxReadAttempts = 20;
    private readonly ZooKeeperSessionHolder _session;
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeatsReadEvery;

    /// <summary>
    /// The last whole read, as read (rows are deserialized afresh for each caller, who may change them). Read and replaced
    /// without a lock by concurrent reads (Orleans' refresh, the cleanup agent) and by this silo's heartbeat writes: each
    /// value is an immutable snapshot, swapped whole with Volatile / Interlocked.CompareExchange; a read that loses a race
    /// leaves an older but consistent snapshot, which the next read's version check corrects.
    /// </summary>
    private TableRead? _last;

    /// <param name="session">The ZooKeeper session.</param>
    /// <param name="clusterId">The cluster whose table this is.</param>
    /// <param name="time">Says when the heartbeats were last read; the system's clock by default.</param>
    /// <param name="heartbeatsReadEvery">
    /// How often the heartbeats are read again while no row changed: <see cref="HeartbeatsReadEvery"/> by default, never
    /// (<see cref="TimeSpan.MaxValue"/>) for a reader that does not look at them (a client's gateway list).
    /// </param>
    public ZooKeeperMembershipStore(ZooKeeperSessionHolder session, string clusterId, TimeProvider? time = null, TimeSpan? heartbeatsReadEvery = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _session = session;
        _time = time ?? TimeProvider.System;
        _heartbeatsReadEvery = heartbeatsReadEvery ?? HeartbeatsReadEvery;
        ClusterPath = "/" + clusterId;
        ZooKeeperPath.Validate(ClusterPath);
    }

    public string ClusterPath { get; }

    public static TableVersion ToTableVersion(int znodeVersion) =>
        new(znodeVersion, znodeVersion.ToString(CultureInfo.InvariantCulture));

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await client.CreateAsync(ClusterPath, Encoding.UTF8.GetBytes("0"), CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // Another silo created the table first.
        }
    }

    /// <summary>
    /// Reads every row and the table version as one consistent snapshot: the rows of the last read when no row changed
    /// since (their heartbeats read again every <see cref="HeartbeatsReadEvery"/>).
    /// </summary>
    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _last) is { } last)
        {
            var now = await client.ExistsAsync(ClusterPath, cancellationToken).ConfigureAwait(false) ?? throw new NoNodeException(ClusterPath);
            if (now.Version == last.Version && now.ChildVersion == last.ChildVersion)
            {
                if (_time.GetElapsedTime(last.HeartbeatsReadAt) < _heartbeatsReadEvery)
                {
                    return last.ToTable();
                }

                if (await ReadHeartbeatsAsync(client, last, cancellationToken).ConfigureAwait(false) is { } fresh)
                {
                    Volatile.Write(ref _last, fresh);
                    return fresh.ToTable();
                }
            }
        }

        for (var attempt = 0; attempt < MaxReadAttempts; attempt++)
        {
            var readAt = _time.GetTimestamp();
            var children = await client.GetChildrenAsync(ClusterPath, cancellationToken).ConfigureAwait(false);
            var rows = await Task.WhenAll(children.Children.Select(c => TryReadRowAsync(client, c, cancellationToken))).ConfigureAwait(false);
            var after = await client.ExistsAsync(ClusterPath, cancellationToken).ConfigureAwait(false)
                ?? throw new NoNodeException(ClusterPath);

            // Every change of a row also bumps the table version, and every row added or removed the children version: when
            // neither moved, the rows belong together.
            if (after.Version == children.Stat.Version && after.ChildVersion == children.Stat.ChildVersion)
            {
                var read = new TableRead(after.Version, after.ChildVersion, [.. rows.OfType<RowRead>()], readAt);
                Volatile.Write(ref _last, read);
                return read.ToTable();
            }
        }

        throw new InvalidOperationException($"The membership table at {ClusterPath} kept changing while being read.");
    }

    /// <summary>The rows of <paramref name="last"/> with every heartbeat read again, or null when a row went meanwhile.</summary>
    private async Task<TableRead?> ReadHeartbeatsAsync(ZooKeeperClient client, TableRead last, CancellationToken cancellationToken)
    {
        var readAt = _time.GetTimestamp();
        try
        {
            var heartbeats = await Task.WhenAll(last.Rows.Select(r => client.GetDataAsync(r.Path + "/IAmAlive", cancellationToken))).ConfigureAwait(false);
            return last with { Rows = [.. last.Rows.Select((r, i) => r with { Heartbeat = heartbeats[i].Data })], HeartbeatsReadAt = readAt };
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Reads one row (or none) and the table version as one consistent snapshot.</summary>
    public async Task<MembershipTableData> ReadRowAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxReadAttempts; attempt++)
        {
            var before = await client.ExistsAsync(ClusterPath, cancellationToken).ConfigureAwait(false)
                ?? throw new NoNodeException(ClusterPath);
            var row = await TryReadRowAsync(client, silo.ToParsableString(), cancellationToken).ConfigureAwait(false);
            var after = await client.ExistsAsync(ClusterPath, cancellationToken).ConfigureAwait(false)
                ?? throw new NoNodeException(ClusterPath);
            if (after.Version == before.Version)
            {
                var rows = row is null ? new List<Tuple<MembershipEntry, string>>() : [row.ToEntry()];
                return new MembershipTableData(rows, ToTableVersion(after.Version));
            }
        }

        throw new InvalidOperationException($"The membership table at {ClusterPath} kept changing while being read.");
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        if (!TryParseVersion(tableVersion.VersionEtag, out var expectedTableVersion))
        {
            return false;
        }

        var rowPath = RowPath(entry.SiloAddress);
        return await TryCommitAsync(
            [
                ZooKeeperOp.SetData(ClusterPath, VersionData(tableVersion), expectedTableVersion),
                ZooKeeperOp.Create(rowPath, MembershipRow.Serialize(entry)),
                ZooKeeperOp.Create(rowPath + "/IAmAlive", MembershipRow.SerializeIAmAlive(entry.IAmAliveTime)),
            ],
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        if (!TryParseVersion(tableVersion.VersionEtag, out var expectedTableVersion) || !TryParseVersion(etag, out var expectedRowVersion))
        {
            return false;
        }

        var rowPath = RowPath(entry.SiloAddress);
        return await TryCommitAsync(
            [
                ZooKeeperOp.SetData(ClusterPath, VersionData(tableVersion), expectedTableVersion),
                ZooKeeperOp.SetData(rowPath, MembershipRow.Serialize(entry), expectedRowVersion),
                ZooKeeperOp.SetData(rowPath + "/IAmAlive", MembershipRow.SerializeIAmAlive(entry.IAmAliveTime)),
            ],
            cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var rowPath = RowPath(entry.SiloAddress);
        var heartbeat = MembershipRow.SerializeIAmAlive(entry.IAmAliveTime);
        await client.SetDataAsync(rowPath + "/IAmAlive", heartbeat, -1, cancellationToken).ConfigureAwait(false);

        // This silo's own heartbeat, as written, in the rows it answers until it reads the others' again.
        if (Volatile.Read(ref _last) is { } last && Array.FindIndex(last.Rows, r => r.Path == rowPath) is var index and >= 0)
        {
            var rows = (RowRead[])last.Rows.Clone();
            rows[index] = rows[index] with { Heartbeat = heartbeat };
            Interlocked.CompareExchange(ref _last, last with { Rows = rows }, last);
        }
    }

    /// <summary>Deletes the rows of dead silos whose last sign of life is older than <paramref name="beforeDate"/>.</summary>
    public async Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        var table = await ReadAllAsync(cancellationToken).ConfigureAwait(false);
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var (entry, etag) in table.Members)
        {
            var lastSeen = entry.IAmAliveTime > entry.StartTime ? entry.IAmAliveTime : entry.StartTime;
            if (entry.Status != SiloStatus.Dead || new DateTimeOffset(DateTime.SpecifyKind(lastSeen, DateTimeKind.Utc)) >= beforeDate)
            {
                continue;
            }

            var rowPath = RowPath(entry.SiloAddress);
            var result = await client.MultiAsync(
                [ZooKeeperOp.Delete(rowPath + "/IAmAlive"), ZooKeeperOp.Delete(rowPath, int.Parse(etag, CultureInfo.InvariantCulture))],
                cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Deletes the whole table of <paramref name="clusterId"/>.</summary>
    public async Task DeleteTableAsync(string clusterId, CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        await DeleteRecursiveAsync(client, "/" + clusterId, cancellationToken).ConfigureAwait(false);
    }

    private static async Task DeleteRecursiveAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            var children = await client.GetChildrenAsync(path, cancellationToken).ConfigureAwait(false);
            foreach (var child in children.Children)
            {
                await DeleteRecursiveAsync(client, path + "/" + child, cancellationToken).ConfigureAwait(false);
            }

            await client.DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            // Already gone.
        }
    }

    private static byte[] VersionData(TableVersion version) =>
        Encoding.UTF8.GetBytes(version.Version.ToString(CultureInfo.InvariantCulture));

    private static bool TryParseVersion(string? etag, out int version) =>
        int.TryParse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture, out version) && version >= 0;

    private string RowPath(SiloAddress silo) => ClusterPath + "/" + silo.ToParsableString();

    private async Task<RowRead?> TryReadRowAsync(ZooKeeperClient client, string child, CancellationToken cancellationToken)
    {
        var rowPath = ClusterPath + "/" + child;
        try
        {
            var row = client.GetDataAsync(rowPath, cancellationToken);
            var iAmAlive = client.GetDataAsync(rowPath + "/IAmAlive", cancellationToken);
            await Task.WhenAll(row, iAmAlive).ConfigureAwait(false);
            var (rowData, iAmAliveData) = (row.Result, iAmAlive.Result);

            // Deserialized once here so a damaged row fails the read that found it, as before.
            _ = MembershipRow.Deserialize(rowData.Data, iAmAliveData.Data);
            return new RowRead(rowPath, rowData.Data, rowData.Stat.Version.ToString(CultureInfo.InvariantCulture), iAmAliveData.Data);
        }
        catch (NoNodeException)
        {
            // Removed by a cleanup between listing and reading: not part of the table any more.
            return null;
        }
    }

    private async Task<bool> TryCommitAsync(ZooKeeperOp[] operations, CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        var result = await client.MultiAsync(operations, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return true;
        }

        // A stale table version, a stale row version, an existing or a missing row: the caller re-reads and retries.
        if (result.Error is ZooKeeperErrorCode.BadVersion or ZooKeeperErrorCode.NodeExists or ZooKeeperErrorCode.NoNode)
        {
            return false;
        }

        result.ThrowIfFailed();
        return false;
    }

    /// <summary>A whole read of the table: its versions, its rows as read, and when their heartbeats were read.</summary>
    private sealed record TableRead(int Version, int ChildVersion, RowRead[] Rows, long HeartbeatsReadAt)
    {
        public MembershipTableData ToTable() =>
            new([.. Rows.Select(r => r.ToEntry())], ToTableVersion(Version));
    }

    /// <summary>One row as read: its path, data and version (its ETag), and its heartbeat.</summary>
    private sealed record RowRead(string Path, byte[] Row, string ETag, byte[] Heartbeat)
    {
        public Tuple<MembershipEntry, string> ToEntry() => Tuple.Create(MembershipRow.Deserialize(Row, Heartbeat), ETag);
    }
}
