using System.Globalization;
using DiMint.Client;
using DiMint.Faults.Lab;
using DiMint.Faults.Workload;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.ZooKeeper.Server;

namespace DiMint.Faults.Cluster;

/// <summary>
/// A multi-host DiMint cluster on one machine, for fault schedules: a ZooKeeper ensemble, silos and client hosts, each in
/// its own <see cref="NetworkLab"/> host (own address, <c>--advertise</c>d), so that links between any of them can be cut.
/// The building process watches through its own client (<see cref="Observer"/>), on a link that is never cut.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    private readonly List<ZooKeeperServerProcess> _zooKeepers = [];
    private readonly List<FaultSilo> _silos = [];
    private readonly List<LabHost> _clientHosts = [];
    private readonly FaultClusterOptions _options;

    private FaultCluster(NetworkLab lab, string directory, FaultClusterOptions options)
    {
        Lab = lab;
        Directory = directory;
        _options = options;
    }

    public NetworkLab Lab { get; }

    /// <summary>Where logs and histories go.</summary>
    public string Directory { get; }

    public IReadOnlyList<ZooKeeperServerProcess> ZooKeepers => _zooKeepers;

    /// <summary>The lab hosts of the ZooKeeper servers, in server order.</summary>
    public IReadOnlyList<LabHost> ZooKeeperHosts { get; private set; } = [];

    public IReadOnlyList<FaultSilo> Silos => _silos;

    public IReadOnlyList<LabHost> ClientHosts => _clientHosts;

    public string ZooKeeperConnectionString { get; private set; } = "";

    /// <summary>The cluster's secret, which every silo and client proves: the faults then hit authenticated connections, as in production.</summary>
    public string SecretFile => Path.Combine(Directory, "cluster.secret");

    /// <summary>The harness's own client, outside every partition: for status, the ring and settling checks only.</summary>
    public DimintClient Observer { get; private set; } = null!;

    /// <summary>Builds the lab, starts the ensemble and the silos, creates the ring and waits until it is replicated.</summary>
    public static async Task<FaultCluster> StartAsync(FaultClusterOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        var lab = NetworkLab.Create();
        var directory = Path.Combine(Path.GetTempPath(), $"dimint-faults-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new FaultCluster(lab, directory, options);
        ClusterSecret.CreateFile(cluster.SecretFile);
        try
        {
            await cluster.BuildAsync(log);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The silo whose lab host has <paramref name="silo"/>'s address, if any.</summary>
    public FaultSilo? SiloOf(SiloAddress silo) => _silos.FirstOrDefault(s => s.Is(silo));

    /// <summary>Kills a silo's process with SIGKILL.</summary>
    public async Task KillAsync(FaultSilo silo)
    {
        if (silo.Process is { } process)
        {
            await process.DisposeAsync();
            silo.Process = null;
            silo.Paused = false;
        }
    }

    /// <summary>Starts a silo again on its host (same address and ports, a new process with nothing in memory).</summary>
    public async Task RestartAsync(FaultSilo silo)
    {
        await KillAsync(silo);
        silo.Process = await StartSiloProcessAsync(silo);
    }

    /// <summary>Stops a silo's process with SIGSTOP (it keeps its memory and sockets, and answers nothing).</summary>
    public void Pause(FaultSilo silo)
    {
        if (silo.Process is { } process && !silo.Paused)
        {
            Shell.Signal(process.ProcessId, "STOP");
            silo.Paused = true;
        }
    }

    /// <summary>Resumes a paused silo (SIGCONT).</summary>
    public void Resume(FaultSilo silo)
    {
        if (silo.Process is { } process && silo.Paused)
        {
            Shell.Signal(process.ProcessId, "CONT");
            silo.Paused = false;
        }
    }

    /// <summary>The ZooKeeper server that says it leads the ensemble, or null when none does now.</summary>
    public async Task<(ZooKeeperServerProcess Server, LabHost Host)?> FindZooKeeperLeaderAsync()
    {
        for (var i = 0; i < _zooKeepers.Count; i++)
        {
            if (await _zooKeepers[i].GetModeAsync() is "leader")
            {
                return (_zooKeepers[i], ZooKeeperHosts[i]);
            }
        }

        return null;
    }

    /// <summary>Starts a workload client on <paramref name="host"/>, recording its history into a file of this cluster's directory.</summary>
    public async Task<WorkloadProcess> StartWorkloadAsync(LabHost host, string prefix, int clientNumber, WorkloadSettings settings)
    {
        var history = Path.Combine(Directory, $"{prefix}-{host.Name}.history.jsonl");
        string[] args =
        [
            "client",
            "--zookeeper", ZooKeeperConnectionString,
            "--secret-file", SecretFile,
            "--history", history,
            "--prefix", prefix,
            "--client", clientNumber.ToString(CultureInfo.InvariantCulture),
            "--workers", settings.Workers.ToString(CultureInfo.InvariantCulture),
            "--registers", settings.Registers.ToString(CultureInfo.InvariantCulture),
        ];
        var (process, _) = await DotnetProcess.StartAsync(
            "DiMint.Faults.dll", WorkloadClient.ReadyMarker, TimeSpan.FromSeconds(60), host.Launcher, Path.Combine(Directory, $"{prefix}-{host.Name}.log"), args);
        return new WorkloadProcess(host, process, history);
    }

    /// <summary>
    /// Waits until every silo process is up and an active member, and every range has a master and its replicas on them,
    /// all in sync: the state a schedule starts from and must return to.
    /// </summary>
    public Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        WaitForStatusAsync(
            status =>
            {
                var up = status.Silos.Where(s => s.IsUp && s.MembershipStatus == "Active").Select(s => s.Address).ToHashSet();
                var running = _silos.Count(s => s.Process is not null);
                var unhealthy = status.Ranges.Where(r => !up.Contains(r.Range.Master) || r.Range.Replicas.Length != _options.ReplicationFactor - 1
                    || !r.Range.Replicas.All(up.Contains) || r.ReplicasInSync != r.Range.Replicas.Length).ToArray();
                var last = $"{up.Count} of {running} silos up; ranges not whole: " + string.Join("; ", unhealthy.Take(8).Select(r =>
                    $"{r.Range.Id} (epoch {r.Range.Epoch}, master {r.Range.Master}{(up.Contains(r.Range.Master) ? "" : " down")}, replicas {string.Join(" ", r.Range.Replicas.Select(x => up.Contains(x) ? x.ToString() : x + " down"))}, {r.ReplicasInSync} in sync)"));
                return (up.Count >= running && unhealthy.Length == 0, last);
            },
            timeout,
            "every silo up and every range with its replicas in sync");

    /// <summary>
    /// Waits until every silo up holds exactly the range copies the ring places on it: the copies a partition or a runtime
    /// restart left behind (a deposed master's, a replaced replica's) are dropped, so their memory comes back.
    /// </summary>
    /// <exception cref="TimeoutException">Some silo still holds more (or fewer) copies after <paramref name="timeout"/>.</exception>
    public Task WaitUntilNoLeftoverCopiesAsync(TimeSpan timeout) =>
        WaitForStatusAsync(
            status =>
            {
                var wrong = status.Silos.Where(s => s.IsUp)
                    .Select(s => (s.Address, s.CopiesHeld, Placed: status.Ranges.Count(r => r.Range.Master.Equals(s.Address) || r.Range.Replicas.Contains(s.Address))))
                    .Where(x => x.CopiesHeld != x.Placed)
                    .ToArray();
                return (wrong.Length == 0, string.Join("; ", wrong.Select(x => $"{x.Address} holds {x.CopiesHeld} copies, the ring places {x.Placed} there")));
            },
            timeout,
            "every silo to hold only the copies the ring places on it");

    /// <summary>
    /// Polls the cluster's status until <paramref name="check"/> says it is as wanted; on timeout, the exception carries
    /// what the last check said was wrong.
    /// </summary>
    private async Task WaitForStatusAsync(Func<ClusterStatus, (bool Ok, string Wrong)> check, TimeSpan timeout, string what)
    {
        var last = "no status yet";
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var (ok, wrong) = check(await Observer.GetClusterStatusAsync().WaitAsync(TimeSpan.FromSeconds(10)));
                    last = wrong;
                    return ok;
                },
                timeout,
                what,
                TimeSpan.FromMilliseconds(500));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}. Last: {last}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Observer is not null)
        {
            try
            {
                await Observer.DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A client of a cluster being torn down may fail to close cleanly: nothing to keep.
            }
        }

        foreach (var silo in _silos)
        {
            Resume(silo);
            await KillAsync(silo);
        }

        foreach (var server in _zooKeepers)
        {
            await server.DisposeAsync();
        }

        Lab.Dispose();
    }

    private async Task BuildAsync(Action<string> log)
    {
        var quorum = new List<(int Id, string Address, int QuorumPort, int ElectionPort)>();
        var zkHosts = new List<LabHost>();
        for (var i = 1; i <= _options.ZooKeepers; i++)
        {
            var host = await Lab.AddHostAsync($"zk{i}");
            zkHosts.Add(host);
            quorum.Add((i, host.Address.ToString(), 2888, 3888));
        }

        ZooKeeperHosts = zkHosts;
        for (var i = 0; i < zkHosts.Count; i++)
        {
            var directory = Path.Combine(Directory, $"zk{i + 1}");
            _zooKeepers.Add(new ZooKeeperServerProcess(i + 1, zkHosts[i].Address.ToString(), 2181, directory, zkHosts.Count > 1 ? quorum : null, zkHosts[i].Launcher));
        }

        foreach (var server in _zooKeepers)
        {
            server.Start();
        }

        foreach (var server in _zooKeepers)
        {
            await server.WaitUntilServingAsync(TimeSpan.FromSeconds(90));
        }

        ZooKeeperConnectionString = string.Join(',', _zooKeepers.Select(z => z.ConnectionString));
        log($"ZooKeeper ensemble serving: {ZooKeeperConnectionString}");

        for (var i = 1; i <= _options.Silos; i++)
        {
            _silos.Add(new FaultSilo(await Lab.AddHostAsync($"silo{i}"), Path.Combine(Directory, $"silo{i}.log")));
        }

        for (var i = 1; i <= _options.Clients; i++)
        {
            _clientHosts.Add(await Lab.AddHostAsync($"client{i}"));
        }

        // One at a time: on two cores, silos started together take longer to join than one after another.
        foreach (var silo in _silos)
        {
            silo.Process = await StartSiloProcessAsync(silo);
            log($"{silo.Host} started (pid {silo.Process.ProcessId})");
        }

        Observer = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = ZooKeeperConnectionString, ConnectTimeout = TimeSpan.FromSeconds(60), ClusterSecretFile = SecretFile });
        await Wait.UntilAsync(
            async () => (await Observer.GetNodeStatusAsync()).Count(s => s.IsUp) == _silos.Count,
            TimeSpan.FromSeconds(90),
            "every silo an active member");
        var ring = await Observer.GetRingAsync(refresh: true);
        log($"ring version {ring.Version}: {ring.Ranges.Length} ranges");
        await WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
    }

    private async Task<DotnetProcess> StartSiloProcessAsync(FaultSilo silo)
    {
        string[] args =
        [
            "--zookeeper", ZooKeeperConnectionString,
            "--secret-file", SecretFile,
            "--advertise", silo.Host.Address.ToString(),
            "--silo-port", FaultSilo.SiloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", FaultSilo.GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--ranges-per-silo", _options.RangesPerSilo.ToString(CultureInfo.InvariantCulture),
            "--replication-factor", _options.ReplicationFactor.ToString(CultureInfo.InvariantCulture),
            .. _options.SiloArguments,
        ];
        var (process, _) = await DotnetProcess.StartAsync("DiMint.Silo.dll", "DiMint silo ready", TimeSpan.FromSeconds(120), silo.Host.Launcher, silo.LogFile, args);
        return process;
    }
}
