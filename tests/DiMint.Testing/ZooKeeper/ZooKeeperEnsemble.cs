using System.Diagnostics;
using DiMint.Testing;

using DiMint.ZooKeeper.Server;

namespace DiMint.Testing.ZooKeeper;

/// <summary>
/// A set of real ZooKeeper servers on 127.0.0.1 with free ports and a temporary directory: one standalone server, or
/// a quorum ensemble (myid files, <c>server.N=127.0.0.1:quorumPort:electionPort</c>). Disposing kills every server and
/// deletes the directory.
/// </summary>
public sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    private readonly string _root;

    private ZooKeeperEnsemble(string root, IReadOnlyList<ZooKeeperServerProcess> servers)
    {
        _root = root;
        Servers = servers;
    }

    /// <summary>The servers, by id order.</summary>
    public IReadOnlyList<ZooKeeperServerProcess> Servers { get; }

    /// <summary>The connection string naming every server.</summary>
    public string ConnectionString => string.Join(',', Servers.Select(s => s.ConnectionString));

    /// <summary>Starts one standalone server and waits until it serves.</summary>
    public static Task<ZooKeeperEnsemble> StartStandaloneAsync(CancellationToken cancellationToken = default) =>
        StartAsync(1, cancellationToken);

    /// <summary>
    /// Starts <paramref name="size"/> servers (1 = standalone, otherwise a quorum ensemble) and waits until every one
    /// serves as standalone, leader or follower.
    /// </summary>
    public static async Task<ZooKeeperEnsemble> StartAsync(int size, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ZooKeeperInstallation.RequireClasspath();
        var root = Path.Combine(Path.GetTempPath(), "dimint-zk-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var ports = FreePorts.Pick(size * 3);
        var quorum = size == 1 ? null : Enumerable.Range(0, size).Select(i => (i + 1, ports[(3 * i) + 1], ports[(3 * i) + 2])).ToArray();
        var servers = Enumerable.Range(0, size)
            .Select(i => new ZooKeeperServerProcess(i + 1, ports[3 * i], Path.Combine(root, $"server{i + 1}"), quorum))
            .ToArray();
        var ensemble = new ZooKeeperEnsemble(root, servers);
        try
        {
            foreach (var server in servers)
            {
                server.Start();
            }

            foreach (var server in servers)
            {
                await server.WaitUntilServingAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            }

            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The server whose <c>srvr</c> says <c>Mode: leader</c>, polling until <paramref name="timeout"/>.</summary>
    public async Task<ZooKeeperServerProcess> GetLeaderAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var server in Servers.Where(s => s.IsRunning))
            {
                if (await server.GetModeAsync(cancellationToken).ConfigureAwait(false) is "leader" or "standalone")
                {
                    return server;
                }
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"No ZooKeeper leader within {limit}.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The server listening on <paramref name="hostAndPort"/> (<c>127.0.0.1:port</c>).</summary>
    public ZooKeeperServerProcess GetServer(string hostAndPort) =>
        Servers.Single(s => string.Equals(s.ConnectionString, hostAndPort, StringComparison.Ordinal));

    /// <summary>Starts every stopped server again and waits until all of them serve.</summary>
    public async Task EnsureAllRunningAsync(CancellationToken cancellationToken = default)
    {
        foreach (var server in Servers.Where(s => !s.IsRunning))
        {
            server.Start();
        }

        foreach (var server in Servers)
        {
            await server.WaitUntilServingAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Kills every server and deletes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var server in Servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temporary directory is cleaned by the OS eventually.
        }
    }
}
