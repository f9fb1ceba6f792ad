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
/// </summary>
internal sealed class ZooKeeperMembershipStore
{
    private const int MaxReadAttempts = 20;
    private readonly ZooKeeperSessionHolder _session;

    public ZooKeeperMembershipStore(ZooKeeperSessionHolder session, string clusterId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _session = session;
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

    /// <summary>Reads every row and the table version as one consistent snapshot.</summary>
    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        var client = await _session.GetClientAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxReadAttempts; attempt++)
        {
            var children = await client.GetChildrenAsync(ClusterPath, cancellationToken).ConfigureAwait(false);
            var rows = await Task.WhenAll(children.Children.Select(c => TryReadRowAsync(client, c, cancellationToken))).ConfigureAwait(false);
            var after = await client.ExistsAsync(ClusterPath, cancellationToken).ConfigureAwait(false)
                ?? throw new NoNodeException(ClusterPath);

            // Every change of a row also bumps the table version, so an unchanged version means the rows belong together.
            if (after.Version == children.Stat.Version)
            {
                return new MembershipTableData([.. rows.OfType<Tuple<MembershipEntry, string>>()], ToTableVersion(after.Version));
            }
        }

        throw new InvalidOperationException($"The membership table at {ClusterPath} kept changing while being read.");
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
                var rows = row is null ? new List<Tuple<MembershipEntry, string>>() : [row];
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
        await client.SetDataAsync(
            RowPath(entry.SiloAddress) + "/IAmAlive", MembershipRow.SerializeIAmAlive(entry.IAmAliveTime), -1, cancellationToken).ConfigureAwait(false);
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

    private async Task<Tuple<MembershipEntry, string>?> TryReadRowAsync(ZooKeeperClient client, string child, CancellationToken cancellationToken)
    {
        var rowPath = ClusterPath + "/" + child;
        try
        {
            var row = client.GetDataAsync(rowPath, cancellationToken);
            var iAmAlive = client.GetDataAsync(rowPath + "/IAmAlive", cancellationToken);
            await Task.WhenAll(row, iAmAlive).ConfigureAwait(false);
            var (rowData, iAmAliveData) = (row.Result, iAmAlive.Result);
            var entry = MembershipRow.Deserialize(rowData.Data, iAmAliveData.Data);
            return Tuple.Create(entry, rowData.Stat.Version.ToString(CultureInfo.InvariantCulture));
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
}
