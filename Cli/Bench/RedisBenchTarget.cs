using System.Globalization;
using StackExchange.Redis;

namespace DiMint.Cli.Bench;

/// <summary>
/// A Redis-protocol store (Redis, Redis Cluster, Garnet) through StackExchange.Redis. One multiplexer for every worker,
/// as an application would share it: it learns a cluster's slot map from any of the endpoints, sends each key to the
/// primary owning its slot, follows MOVED, and pipelines the requests of concurrent callers on one connection per node.
/// </summary>
internal sealed class RedisBenchTarget : IBenchTarget
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;

    private RedisBenchTarget(ConnectionMultiplexer connection, IReadOnlyList<string> endpoints)
    {
        _connection = connection;
        _database = connection.GetDatabase();
        Endpoints = endpoints;
    }

    public string Name => "redis";

    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>Connects to the given <c>host:port</c> endpoints (any nodes of a cluster, or one server), with <paramref name="password"/> when given.</summary>
    /// <exception cref="RedisConnectionException">No endpoint could be reached.</exception>
    public static async Task<RedisBenchTarget> ConnectAsync(IReadOnlyList<string> endpoints, string? password, CancellationToken cancellationToken)
    {
        var options = new ConfigurationOptions
        {
            Password = password,
            ClientName = "dimint-bench",
            ConnectTimeout = 5_000,
            AsyncTimeout = 10_000,
            SyncTimeout = 10_000,
            ConnectRetry = 1,
            AbortOnConnectFail = true,

            // For INFO replication, which tells each node's role (see IsReplicaAsync); the load itself is GET and SET.
            AllowAdmin = true,
        };
        foreach (var endpoint in endpoints)
        {
            options.EndPoints.Add(endpoint);
        }

        var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        return new RedisBenchTarget(connection, endpoints);
    }

    public async Task SetManyAsync(IReadOnlyList<KeyValuePair<string, byte[]>> entries, CancellationToken cancellationToken)
    {
        // Every SET of the batch goes out before the first answer is awaited: the multiplexer pipelines them per node.
        var sets = new Task<bool>[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            sets[i] = _database.StringSetAsync(entries[i].Key, entries[i].Value);
        }

        var stored = await Task.WhenAll(sets).WaitAsync(cancellationToken);
        if (Array.IndexOf(stored, false) is var failed and >= 0)
        {
            throw new InvalidOperationException($"SET {entries[failed].Key} was not applied.");
        }
    }

    public async Task SetAsync(string key, byte[] value, CancellationToken cancellationToken)
    {
        if (!await _database.StringSetAsync(key, value).WaitAsync(cancellationToken))
        {
            throw new InvalidOperationException($"SET {key} was not applied.");
        }
    }

    public async Task<(bool Found, byte[]? Value)> GetAsync(string key, CancellationToken cancellationToken)
    {
        var value = await _database.StringGetAsync(key).WaitAsync(cancellationToken);
        return value.IsNull ? (false, null) : (true, (byte[]?)value);
    }

    public async Task<string?> DescribeAsync(CancellationToken cancellationToken)
    {
        var servers = _connection.GetServers();
        if (servers.Length == 0)
        {
            return null;
        }

        var versions = string.Join("/", servers.Select(s => s.Version.ToString()).Distinct());
        if (!servers.Any(s => s.ServerType == ServerType.Cluster))
        {
            return string.Create(CultureInfo.InvariantCulture, $"redis protocol {versions}, {servers[0].ServerType.ToString().ToLowerInvariant()} server");
        }

        var replicas = 0;
        foreach (var server in servers)
        {
            if (await IsReplicaAsync(server).WaitAsync(cancellationToken))
            {
                replicas++;
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"redis protocol {versions}, cluster of {servers.Length} nodes: {servers.Length - replicas} primaries, {replicas} replicas");
    }

    /// <summary>
    /// The role the server states itself (<c>INFO replication</c>): the client's own view of the cluster took Garnet's
    /// replicas for primaries.
    /// </summary>
    private static async Task<bool> IsReplicaAsync(IServer server)
    {
        try
        {
            var info = await server.InfoAsync("replication");
            var role = info.SelectMany(group => group).FirstOrDefault(pair => pair.Key == "role").Value;
            return role is null ? server.IsReplica : role is "slave" or "replica";
        }
        catch (Exception ex) when (ex is RedisException or RedisCommandException or RedisTimeoutException)
        {
            return server.IsReplica;
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
