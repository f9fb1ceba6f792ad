using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DiMint.Client;
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
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    public async Task<int> RunAsync(int silos, int siloPort, int gatewayPort, int? rangesPerSilo, CancellationToken cancellationToken)
    {
        if (ClusterStateFile.ReadRunning() is { } running)
        {
            error.WriteLine($"A cluster started by 'dimint up' is already running (pid {running.UpProcessId}, gateways {string.Join(", ", running.Gateways)}). Stop it first (Ctrl+C in its terminal, or kill -TERM {running.UpProcessId}).");
            return ExitCodes.ClusterError;
        }

        var busy = Enumerable.Range(0, silos).SelectMany(i => new[] { siloPort + i, gatewayPort + i }).Where(p => !IsPortFree(p)).ToArray();
        if (busy.Length > 0)
        {
            error.WriteLine($"Port(s) {string.Join(", ", busy)} are in use; pick others with --silo-port and --gateway-port.");
            return ExitCodes.ClusterError;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });

        var extra = rangesPerSilo is { } n ? new[] { "--ranges-per-silo", n.ToString(CultureInfo.InvariantCulture) } : [];
        var logs = Path.Combine(ClusterStateFile.Home, "logs");
        var processes = new List<SiloProcess>();
        try
        {
            output.WriteLine($"Starting {silos} silo(s); logs in {logs}");

            // The primary holds the membership table: start it first, then the rest together.
            processes.Add(SiloProcess.Start(0, siloPort, gatewayPort, siloPort, extra, logs));
            await processes[0].Ready.WaitAsync(StartTimeout, stop.Token);
            for (var i = 1; i < silos; i++)
            {
                processes.Add(SiloProcess.Start(i, siloPort + i, gatewayPort + i, siloPort, extra, logs));
            }

            await Task.WhenAll(processes.Select(p => p.Ready)).WaitAsync(StartTimeout, stop.Token);
            var gateways = processes.Select(p => $"127.0.0.1:{p.GatewayPort}").ToArray();
            await WaitUntilServingAsync(gateways, silos, stop.Token);

            new ClusterStateFile
            {
                UpProcessId = Environment.ProcessId,
                Gateways = gateways,
                SiloProcessIds = processes.Select(p => p.ProcessId).ToArray(),
                StartedAt = DateTimeOffset.UtcNow,
            }.Write();

            output.WriteLine($"DiMint cluster is up: {silos} silo(s).");
            output.WriteLine($"Gateways: {string.Join(" ", gateways)}");
            output.WriteLine($"Silo pids: {string.Join(" ", processes.Select(p => p.ProcessId))}");
            output.WriteLine("Press Ctrl+C to stop.");
            output.Flush();

            await WatchAsync(processes, stop.Token);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or FileNotFoundException or DiMintException)
        {
            error.WriteLine($"The cluster did not start: {ex.Message}");
            return ExitCodes.ClusterError;
        }
        finally
        {
            output.WriteLine("Stopping silos...");
            output.Flush();
            await StopAllAsync(processes);
            ClusterStateFile.Delete(Environment.ProcessId);
            output.WriteLine("Stopped.");
            output.Flush();
        }
    }

    /// <summary>Waits until every silo is an active member, then creates the ring over all of them and round-trips a key.</summary>
    private static async Task WaitUntilServingAsync(string[] gateways, int silos, CancellationToken cancellationToken)
    {
        var options = new DimintClientOptions { Gateways = gateways, ConnectTimeout = StartTimeout };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => DimintClient.ConfigureOrleansClient(client, options));
        using var host = builder.Build();
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
            await client.GetRingAsync(refresh: true, timeout.Token);
            const string Probe = "__dimint_up_probe__";
            await client.SetAsync(Probe, 1L, timeout.Token);
            await client.GetAsync<long>(Probe, timeout.Token);
            await client.DeleteAsync(Probe, timeout.Token);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private async Task WatchAsync(List<SiloProcess> processes, CancellationToken cancellationToken)
    {
        var watching = processes.ToList();
        while (watching.Count > 0)
        {
            var exited = await Task.WhenAny(watching.Select(async p => { await p.Exited.WaitAsync(cancellationToken); return p; }));
            var silo = await exited;
            error.WriteLine($"Silo {silo.Index} (pid {silo.ProcessId}) exited with code {silo.ExitCode}; see {silo.LogPath}.");
            watching.Remove(silo);
        }

        error.WriteLine("Every silo has exited.");
    }

    private static async Task StopAllAsync(List<SiloProcess> processes)
    {
        // The others first: the primary holds the membership table they report their shutdown to.
        await Task.WhenAll(processes.Skip(1).Select(p => p.StopAsync(StopGrace)));
        if (processes.Count > 0)
        {
            await processes[0].StopAsync(StopGrace);
        }

        foreach (var process in processes)
        {
            process.Dispose();
        }
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
