using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace DiMint.ZooKeeper.Server;

/// <summary>
/// One real ZooKeeper server (a JVM running QuorumPeerMain) listening on one address (127.0.0.1 by default), with its own
/// data directory. Start it, ask it <c>srvr</c>, kill it with SIGKILL, start it again on the same ports and data.
/// </summary>
public sealed class ZooKeeperServerProcess : IAsyncDisposable
{
    private readonly string _configPath;
    private readonly Queue<string> _recentOutput = new();
    private readonly Lock _outputLock = new();
    private readonly IReadOnlyList<string> _launcher;
    private Process? _process;

    /// <summary>Writes the configuration of a server on 127.0.0.1; <see cref="StartAsync"/> runs it.</summary>
    /// <param name="id">The server id (myid), from 1.</param>
    /// <param name="clientPort">The client port.</param>
    /// <param name="directory">A directory owned by this server (config, data, log).</param>
    /// <param name="quorum">For an ensemble, every member's id and quorum/election ports; null for a standalone server.</param>
    public ZooKeeperServerProcess(int id, int clientPort, string directory, IReadOnlyList<(int Id, int QuorumPort, int ElectionPort)>? quorum)
        : this(id, "127.0.0.1", clientPort, directory, quorum?.Select(m => (m.Id, "127.0.0.1", m.QuorumPort, m.ElectionPort)).ToArray(), launcher: [])
    {
    }

    /// <summary>Writes the configuration of a server on <paramref name="address"/>; <see cref="StartAsync"/> runs it.</summary>
    /// <param name="id">The server id (myid), from 1.</param>
    /// <param name="address">The IP address the server listens on, for clients and for its ensemble.</param>
    /// <param name="clientPort">The client port.</param>
    /// <param name="directory">A directory owned by this server (config, data, log).</param>
    /// <param name="quorum">For an ensemble, every member's id, address and quorum/election ports; null for a standalone server.</param>
    /// <param name="launcher">
    /// A command the JVM runs under, for example <c>ip netns exec NAME</c> to start it in a network namespace; empty to
    /// run it directly.
    /// </param>
    public ZooKeeperServerProcess(
        int id,
        string address,
        int clientPort,
        string directory,
        IReadOnlyList<(int Id, string Address, int QuorumPort, int ElectionPort)>? quorum,
        IReadOnlyList<string> launcher)
    {
        Id = id;
        Address = address;
        ClientPort = clientPort;
        Directory = directory;
        _launcher = launcher;
        var dataDir = Path.Combine(directory, "data");
        System.IO.Directory.CreateDirectory(dataDir);
        var config = new StringBuilder()
            .AppendLine("tickTime=500")
            .AppendLine("initLimit=20")
            .AppendLine("syncLimit=10")
            .AppendLine(CultureInfo.InvariantCulture, $"dataDir={dataDir}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPort={clientPort}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPortAddress={address}")
            .AppendLine("admin.enableServer=false")
            .AppendLine("4lw.commands.whitelist=srvr,ruok,mntr")
            .AppendLine("maxClientCnxns=0")
            .AppendLine("autopurge.purgeInterval=0");
        if (quorum is not null)
        {
            File.WriteAllText(Path.Combine(dataDir, "myid"), id.ToString(CultureInfo.InvariantCulture));
            foreach (var (memberId, memberAddress, quorumPort, electionPort) in quorum)
            {
                config.AppendLine(CultureInfo.InvariantCulture, $"server.{memberId}={memberAddress}:{quorumPort}:{electionPort}");
            }
        }

        _configPath = Path.Combine(directory, "zoo.cfg");
        File.WriteAllText(_configPath, config.ToString());
    }

    /// <summary>The server id (myid).</summary>
    public int Id { get; }

    /// <summary>The address the server listens on.</summary>
    public string Address { get; }

    /// <summary>The client port on <see cref="Address"/>.</summary>
    public int ClientPort { get; }

    /// <summary>The server's directory (zoo.cfg, data/).</summary>
    public string Directory { get; }

    /// <summary>The connection string of this server alone.</summary>
    public string ConnectionString => $"{Address}:{ClientPort}";

    /// <summary>The JVM's process id while it runs (a launcher such as <c>ip netns exec</c> execs into it), for signals.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Whether the JVM is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the JVM without waiting for it to serve (see <see cref="WaitUntilServingAsync"/>).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        var java = ZooKeeperInstallation.FindJava();
        var startInfo = new ProcessStartInfo(_launcher.Count > 0 ? _launcher[0] : java)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in _launcher.Skip(1).Concat(_launcher.Count > 0 ? [java] : []))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var argument in new[]
        {
            "-Xmx128m", "-Xms32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dzookeeper.jmx.log4j.disable=true",
            "-cp", ZooKeeperInstallation.RequireClasspath(), ZooKeeperInstallation.MainClass, _configPath,
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        ProcessTracker.Track(process);
    }

    /// <summary>Starts the JVM and waits until <c>srvr</c> reports a mode.</summary>
    public async Task StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Start();
        await WaitUntilServingAsync(timeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls <c>srvr</c> until it answers with a <c>Mode:</c> line; throws with the server's output otherwise.</summary>
    public async Task WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (!IsRunning)
            {
                throw new InvalidOperationException($"ZooKeeper server {Id} exited before serving. Output:\n{RecentOutput}");
            }

            if (await GetModeAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"ZooKeeper server {Id} did not serve within {timeout}. Output:\n{RecentOutput}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The server's <c>Mode:</c> (standalone, leader, follower), or null when it does not serve.</summary>
    public async Task<string?> GetModeAsync(CancellationToken cancellationToken = default)
    {
        var answer = await FourLetterWordAsync("srvr", cancellationToken).ConfigureAwait(false);
        if (answer is null)
        {
            return null;
        }

        foreach (var line in answer.Split('\n'))
        {
            if (line.StartsWith("Mode:", StringComparison.Ordinal))
            {
                return line["Mode:".Length..].Trim();
            }
        }

        return null;
    }

    /// <summary>Sends a four-letter-word command; null when the server does not answer.</summary>
    public async Task<string?> FourLetterWordAsync(string command, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(Address, ClientPort, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command), timeout.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Kills the JVM with SIGKILL (no shutdown hooks, connections reset) and waits for it to exit.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        ProcessTracker.Untrack(process);
        process.Dispose();
        _process = null;
    }

    /// <summary>The last lines the server printed.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_outputLock)
            {
                return string.Join('\n', _recentOutput);
            }
        }
    }

    /// <summary>Kills the server.</summary>
    public async ValueTask DisposeAsync() => await KillAsync().ConfigureAwait(false);

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _recentOutput.Enqueue(line);
            while (_recentOutput.Count > 200)
            {
                _recentOutput.Dequeue();
            }
        }
    }
}
