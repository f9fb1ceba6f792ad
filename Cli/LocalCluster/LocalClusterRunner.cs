using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DiMint.Client;
using DiMint.ZooKeeper.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace DiMint.Cli.LocalCluster;

/// <summary>
/// <c>dimint up</c>: starts silo processes on this machine as one cluster, waits until it serves, and stops them all
/// on Ctrl+C or SIGTERM.
/// </summary>
internal sealed class LocalClusterRunner(TextWriter output, TextWriter error)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>How long a stored ring's ranges get to find masters among the silos that are up (promotions) before <c>up</c> reports the rest.</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);
    private const string DashboardReadyMarker = "DiMint dashboard:";
    private PosixSignalRegistration? _sigterm;
    private PosixSignalRegistration? _sigint;

    /// <param name="zooKeeper">An ensemble to cluster through, or null.</param>
    /// <param name="withZooKeeperPort">When set, start a local ZooKeeper server on this port for the cluster and stop it at exit.</param>
    /// <param name="dashboardPort">The dashboard's port (0: any free one), or null for no dashboard.</param>
    /// <param name="zooKeeperAuthFile">A file with ZooKeeper digest credentials for the silos and the dashboard, or null.</param>
    /// <param name="tls">The silos' TLS, or null for none.</param>
    /// <param name="respPort">The first silo's Redis-protocol port (the others count up), or null for none.</param>
    public async Task<int> RunAsync(
        int silos, int siloPort, int gatewayPort, int? rangesPerSilo, string? zooKeeper, int? withZooKeeperPort, int? dashboardPort, CancellationToken cancellationToken,
        string? zooKeeperAuthFile = null, LocalClusterTls? tls = null, int? respPort = null)
    {
        if (ClusterStateFile.ReadRunning() is { } running)
        {
            error.WriteLine($"A cluster started by 'dimint up' is already running (pid {running.UpProcessId}, gateways {string.Join(", ", running.Gateways)}). Stop it first (Ctrl+C in its terminal, or kill -TERM {running.UpProcessId}).");
            return ExitCodes.ClusterError;
        }

        var busy = Enumerable.Range(0, silos).SelectMany(i => respPort is { } r ? new[] { siloPort + i, gatewayPort + i, r + i } : [siloPort + i, gatewayPort + i]).Where(p => !IsPortFree(p)).ToArray();
        if (busy.Length > 0)
        {
            error.WriteLine($"Port(s) {string.Join(", ", busy)} are in use; pick others with --silo-port, --gateway-port and --resp-port (or --no-resp).");
            return ExitCodes.ClusterError;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Ctrl+C and SIGTERM mean "stop the cluster". The handler only flags the stop (the shutdown runs elsewhere) so it
        // returns at once; the registrations are kept in fields so that nothing can collect them while the cluster runs.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            ThreadPool.UnsafeQueueUserWorkItem(_ => stop.Cancel(), null);
        }

        using var sigterm = _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        // A new secret for this cluster, readable by this user only: its silos, its dashboard and dimint's commands prove it.
        var secretFile = ClusterStateFile.SecretPath;
        ClusterSecret.CreateFile(secretFile);
        string[] tlsOfClients = tls is null ? [] : ["--tls-authority", tls.AuthorityFile];
        string[] extra = [
            "--secret-file", secretFile,
            .. rangesPerSilo is { } n ? new[] { "--ranges-per-silo", n.ToString(CultureInfo.InvariantCulture) } : [],
            .. tls is null ? [] : new[] { "--tls-authority", tls.AuthorityFile, "--tls-certificate", tls.CertificateFile },
        ];
        var logs = Path.Combine(ClusterStateFile.Home, "logs");
        var processes = new List<Silo>();
        ChildProcess? dashboard = null;
        ZooKeeperServerProcess? localZooKeeper = null;

        // Without ZooKeeper the silos keep the ring in files here, so it outlives any one of them.
        var ringDirectory = Path.Combine(ClusterStateFile.Home, $"ring-{Environment.ProcessId}");
        try
        {
            if (withZooKeeperPort is { } zkPort)
            {
                localZooKeeper = await StartZooKeeperAsync(zkPort, stop.Token);
                zooKeeper = localZooKeeper.ConnectionString;
                output.WriteLine($"ZooKeeper: {zooKeeper} (started for this cluster; data in {localZooKeeper.Directory})");
            }

            output.WriteLine($"Starting {silos} silo(s); logs in {logs}");
            if (zooKeeper is null)
            {
                // The primary holds the membership table: start it first, then the rest together.
                string[] clusterArgs = ["--primary", $"127.0.0.1:{siloPort}", "--ring-dir", ringDirectory, .. extra];
                processes.Add(Silo.Start(0, siloPort, gatewayPort, respPort, clusterArgs, logs));
                await processes[0].Process.Ready.WaitAsync(StartTimeout, stop.Token);
                for (var i = 1; i < silos; i++)
                {
                    processes.Add(Silo.Start(i, siloPort + i, gatewayPort + i, respPort + i, clusterArgs, logs));
                }
            }
            else
            {
                string[] clusterArgs = ["--zookeeper", zooKeeper, .. zooKeeperAuthFile is null ? [] : new[] { "--zookeeper-auth-file", zooKeeperAuthFile }, .. extra];
                for (var i = 0; i < silos; i++)
                {
                    processes.Add(Silo.Start(i, siloPort + i, gatewayPort + i, respPort + i, clusterArgs, logs));
                }
            }

            await Task.WhenAll(processes.Select(p => p.Process.Ready)).WaitAsync(StartTimeout, stop.Token);
            var gateways = processes.Select(p => $"127.0.0.1:{p.GatewayPort}").ToArray();
            var unserved = await WaitUntilServingAsync(gateways, zooKeeper, zooKeeperAuthFile, tls?.AuthorityFile, silos, stop.Token);
            if (unserved.Count > 0)
            {
                output.WriteLine($"Warning: {unserved.Count} range(s) of the stored ring have no copy on the silos that are up ({string.Join(", ", unserved)}): they stay");
                output.WriteLine("unavailable until their silos return. If their data is gone for good (every silo restarted), start them");
                output.WriteLine("empty with 'dimint recover --all --empty'.");
            }

            new ClusterStateFile
            {
                UpProcessId = Environment.ProcessId,
                Gateways = gateways,
                SiloProcessIds = processes.Select(p => p.Process.ProcessId).ToArray(),
                StartedAt = DateTimeOffset.UtcNow,
                ZooKeeper = zooKeeper,
                SecretFile = secretFile,
                TlsAuthorityFile = tls?.AuthorityFile,
            }.Write();

            output.WriteLine($"DiMint cluster is up: {silos} silo(s).");
            output.WriteLine($"Gateways: {string.Join(" ", gateways)}");
            if (zooKeeper is not null)
            {
                output.WriteLine($"Clients may connect with only: --zookeeper {zooKeeper}");
            }

            output.WriteLine($"Silo pids: {string.Join(" ", processes.Select(p => p.Process.ProcessId))}");
            output.WriteLine($"Cluster secret: {secretFile} (every silo, client and command proves it; dimint's commands find it)");
            if (tls is not null)
            {
                output.WriteLine($"TLS: every connection; certificates must chain to {tls.AuthorityFile} (dimint's commands find it)");
            }

            foreach (var silo in processes)
            {
                output.WriteLine($"Silo {silo.Index} listens on: {silo.Listening}");
            }

            if (respPort is { } resp)
            {
                output.WriteLine($"Redis protocol: {string.Join(" ", processes.Select(p => $"127.0.0.1:{resp + p.Index}"))} (any silo serves any key; e.g. redis-cli -p {resp} -a \"$(cat {secretFile})\"{(tls is null ? "" : " --tls --cacert " + tls.AuthorityFile)})");
            }

            if (dashboardPort is { } port)
            {
                var adminToken = ClusterSecret.Generate();
                string[] target = [
                    .. zooKeeper is null ? gateways.SelectMany(g => new[] { "--gateway", g }) : ["--zookeeper", zooKeeper],
                    .. zooKeeper is not null && zooKeeperAuthFile is not null ? new[] { "--zookeeper-auth-file", zooKeeperAuthFile } : [],
                    "--secret-file", secretFile,
                    .. tlsOfClients,
                ];
                dashboard = ChildProcess.Start(
                    "dashboard",
                    "DiMint.Dashboard.dll",
                    [.. target, "--port", port.ToString(CultureInfo.InvariantCulture)],
                    Path.Combine(logs, "dashboard.log"),
                    DashboardReadyMarker,
                    new Dictionary<string, string> { ["DIMINT_DASHBOARD_ADMIN_TOKEN"] = adminToken });
                await dashboard.Ready.WaitAsync(StartTimeout, stop.Token);
                var ready = dashboard.ReadyLine!;
                // The admin token rides in the URL's fragment, which the browser keeps to itself: the page reads it from there.
                var url = ready[(ready.IndexOf(DashboardReadyMarker, StringComparison.Ordinal) + DashboardReadyMarker.Length)..].Trim();
                output.WriteLine($"Dashboard: {url}#token={adminToken}");
                output.WriteLine("(writes and splits from the dashboard need that token; it is new each time)");
            }

            output.WriteLine("Press Ctrl+C to stop.");
            output.Flush();

            await WatchAsync(processes, stop.Token);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or FileNotFoundException or DiMintException or FormatException)
        {
            error.WriteLine($"The cluster did not start: {ex.Message}");
            return ExitCodes.ClusterError;
        }
        finally
        {
            output.WriteLine("Stopping silos...");
            output.Flush();
            if (dashboard is not null)
            {
                await dashboard.StopAsync(StopGrace);
                dashboard.Dispose();
            }

            await StopAllAsync(processes);
            if (localZooKeeper is not null)
            {
                await localZooKeeper.KillAsync();
                TryDelete(localZooKeeper.Directory);
            }

            TryDelete(ringDirectory);
            TryDeleteFile(secretFile);

            ClusterStateFile.Delete(Environment.ProcessId);
            output.WriteLine("Stopped.");
            output.Flush();
        }
    }

    /// <summary>
    /// Waits until every silo is an active member, then creates the ring over all of them and round-trips a key. A ring
    /// stored in ZooKeeper from an earlier run may name silos that are gone: their ranges are promoted where copies are
    /// left, and the ids of those that have none (they stay unavailable; DiMint never recreates them empty on its own) are
    /// returned.
    /// </summary>
    private static async Task<IReadOnlyList<int>> WaitUntilServingAsync(
        string[] gateways, string? zooKeeper, string? zooKeeperAuthFile, string? tlsAuthorityFile, int silos, CancellationToken cancellationToken)
    {
        var options = new DimintClientOptions
        {
            Gateways = gateways,
            ZooKeeper = zooKeeper,
            ZooKeeperDigest = zooKeeperAuthFile is null ? null : DiMint.ZooKeeper.ZooKeeperDigest.FromFile(zooKeeperAuthFile),
            ConnectTimeout = StartTimeout,
            ClusterSecretFile = ClusterStateFile.SecretPath,
            TlsAuthorityFile = tlsAuthorityFile,
        };
        using var host = DimintClient.BuildClientHost(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        await host.StartAsync(timeout.Token);
        try
        {
            var cluster = host.Services.GetRequiredService<IClusterClient>();
            var management = cluster.GetGrain<IManagementGrain>(0);

            // The ring is created over the silos that are active when it is first asked for: wait for all of them.
            while ((await management.GetHosts(onlyActive: true)).Count < silos)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
            }

            var client = new DimintClient(cluster, options);
            var ring = await client.GetRingAsync(refresh: true, timeout.Token);
            var served = await ServedRangesAsync(client, management, timeout.Token);
            for (var settle = Stopwatch.StartNew(); served.Count < ring.Ranges.Length && settle.Elapsed < SettleTimeout; )
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
                ring = await client.GetRingAsync(refresh: true, timeout.Token);
                served = await ServedRangesAsync(client, management, timeout.Token);
            }

            if (served.Count > 0)
            {
                // A key of a range that has a master on a silo that is up.
                var probe = Enumerable.Range(0, 10_000).Select(i => $"__dimint_up_probe__{i}").First(k => served.Contains(ring.Find(KeyHash.Of(k)).Id));
                await client.SetAsync(probe, 1L, timeout.Token);
                await client.GetAsync<long>(probe, timeout.Token);
                await client.DeleteAsync(probe, timeout.Token);
            }

            return [.. ring.Ranges.Select(r => r.Id).Where(id => !served.Contains(id))];
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The ranges whose master, as the ring has it now, is a silo that is up.</summary>
    private static async Task<HashSet<int>> ServedRangesAsync(DimintClient client, IManagementGrain management, CancellationToken cancellationToken)
    {
        var ring = await client.GetRingAsync(refresh: true, cancellationToken);
        var active = (await management.GetHosts(onlyActive: true)).Keys.ToHashSet();
        return [.. ring.Ranges.Where(r => active.Contains(r.Master)).Select(r => r.Id)];
    }

    private async Task<ZooKeeperServerProcess> StartZooKeeperAsync(int port, CancellationToken cancellationToken)
    {
        if (ZooKeeperInstallation.FindClasspath() is null)
        {
            throw new InvalidOperationException("--with-zookeeper needs Debian's zookeeper package: apt-get install -y zookeeper.");
        }

        if (!IsPortFree(port))
        {
            throw new InvalidOperationException($"ZooKeeper's port {port} is in use; pick another with --zookeeper-port, or use that server with --zookeeper 127.0.0.1:{port}.");
        }

        var directory = Path.Combine(ClusterStateFile.Home, $"zookeeper-{Environment.ProcessId}");
        TryDelete(directory);
        Directory.CreateDirectory(directory);
        var server = new ZooKeeperServerProcess(1, port, directory, quorum: null);
        await server.StartAsync(StartTimeout, cancellationToken);
        return server;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the next run to clear.
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A later 'up' overwrites it.
        }
    }

    private async Task WatchAsync(List<Silo> processes, CancellationToken cancellationToken)
    {
        var watching = processes.ToList();
        while (watching.Count > 0)
        {
            var exited = await Task.WhenAny(watching.Select(async p => { await p.Process.Exited.WaitAsync(cancellationToken); return p; }));
            var silo = await exited;
            error.WriteLine($"Silo {silo.Index} (pid {silo.Process.ProcessId}) exited with code {silo.Process.ExitCode}; see {silo.Process.LogPath}.");
            watching.Remove(silo);
        }

        error.WriteLine("Every silo has exited.");
    }

    private async Task StopAllAsync(List<Silo> processes)
    {
        // The others first: with localhost clustering the primary holds the membership table they report their shutdown to.
        await Task.WhenAll(processes.Skip(1).Select(StopOneAsync));
        if (processes.Count > 0)
        {
            await StopOneAsync(processes[0]);
        }

        foreach (var process in processes)
        {
            process.Process.Dispose();
        }
    }

    private async Task StopOneAsync(Silo silo)
    {
        var graceful = await silo.Process.StopAsync(StopGrace);
        output.WriteLine(graceful
            ? $"Silo {silo.Index} (pid {silo.Process.ProcessId}) stopped."
            : $"Silo {silo.Index} (pid {silo.Process.ProcessId}) did not stop within {StopGrace.TotalSeconds:0} s and was killed.");
        output.Flush();
    }

    /// <summary>A silo process of the cluster.</summary>
    private sealed record Silo(int Index, int GatewayPort, ChildProcess Process)
    {
        private const string ListeningMarker = "listening: ";

        /// <summary>What listens where, as the silo's ready line says (silo port, gateway, data port, and whether a secret is required).</summary>
        public string Listening => Process.ReadyLine is { } line && line.IndexOf(ListeningMarker, StringComparison.Ordinal) is >= 0 and var at
            ? line[(at + ListeningMarker.Length)..].Trim()
            : "(not announced)";

        public static Silo Start(int index, int siloPort, int gatewayPort, int? respPort, string[] clusterArgs, string logs) => new(
            index,
            gatewayPort,
            ChildProcess.Start(
                $"silo {index}",
                "DiMint.Silo.dll",
                [
                    "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
                    "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                    .. respPort is { } resp ? new[] { "--resp-port", resp.ToString(CultureInfo.InvariantCulture) } : [],
                    .. clusterArgs,
                ],
                Path.Combine(logs, $"silo-{index}.log"),
                "DiMint silo ready"));
    }

    private static bool IsPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
