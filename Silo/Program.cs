using System.Globalization;
using System.Net;
using DiMint;
using DiMint.Grains.Hosting;
using DiMint.Hosting;
using DiMint.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;

SocketCompletions.PreferInline();
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(SiloCommandLine.Usage);
    return 0;
}

if (SiloCommandLine.Validate(args) is { } error)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(SiloCommandLine.Usage);
    return 2;
}

// The range copies live as long as the process; the Orleans runtime may come and go (see RestartOnFatalError).
var state = new SiloProcessState();
var failures = 0;
while (true)
{
    var restart = new RuntimeRestart();
    IHost host;
    try
    {
        host = Build(args, state, restart);
    }
    catch (Exception ex) when (ex is FormatException or ArgumentException)
    {
        Console.Error.WriteLine(ex.Message);
        return 2;
    }

    // SIGTERM or Ctrl+C while the silo is still joining stops the join (Orleans, stopped mid-join, otherwise keeps
    // a thread spinning and never exits): the process ends, as it would once joined.
    var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    try
    {
        await host.StartAsync(stopping);
        failures = 0;
    }
    catch (Microsoft.Extensions.Options.OptionsValidationException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 2;
    }
    catch (Exception) when (stopping.IsCancellationRequested)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} info: DiMint silo stopped before it joined the cluster"));
        await DisposeAsync(host);
        return 0;
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        // ZooKeeper or the other silos unreachable: keep trying, so a data center restarting in any order comes back.
        var delay = TimeSpan.FromSeconds(Math.Min(10, 1 << Math.Min(failures++, 4)));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} warn: DiMint silo could not join the cluster (attempt {failures}): {ex.GetBaseException().Message}; trying again in {delay.TotalSeconds:0} s"));
        var parent = host.Services.GetRequiredService<ParentProcess>();
        await DisposeAsync(host);
        if (parent.ProcessId is { } pid && !ParentProcess.IsRunning(pid))
        {
            // Its watcher only runs in a started host: an orphan must not keep trying for ever.
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} warn: parent process {pid} is gone; the silo stops trying"));
            return 1;
        }

        await Task.Delay(delay);
        continue;
    }

    await host.WaitForShutdownAsync();
    await DisposeAsync(host);
    if (restart.Reason is null)
    {
        return 0;
    }

    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} warn: DiMint silo restarts its runtime ({restart.Reason}); {state.Copies} range copies kept"));
}

static async Task DisposeAsync(IHost host)
{
    try
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await host.StopAsync(timeout.Token);
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        // A runtime that failed to start, or was declared dead, may not stop cleanly: what matters is that it stopped.
    }

    host.Dispose();
}

static IHost Build(string[] args, SiloProcessState state, RuntimeRestart restart)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
    {
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.Configuration.AddCommandLine(args, SiloCommandLine.Switches);

    var silo = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
    builder.Services.AddOptions<SiloHostOptions>().BindConfiguration(SiloHostOptions.Section)
        .Validate(o => o.SiloPort is > 0 and < 65536 && o.GatewayPort is > 0 and < 65536 && o.SiloPort != o.GatewayPort, "Ports must be distinct and in 1..65535.")
        .ValidateOnStart();
    var zooKeeper = builder.Configuration["DiMint:ZooKeeper:ConnectionString"];
    var primary = DiMint.HostPort.Parse(silo.PrimarySiloEndpoint);
    var advertised = IPAddress.TryParse(silo.AdvertisedAddress, out var address)
        ? address
        : throw new FormatException($"--advertise: '{silo.AdvertisedAddress}' is not an IP address.");
    var listen = silo.ListenAddress is null
        ? null
        : IPAddress.TryParse(silo.ListenAddress, out var given)
            ? given
            : throw new FormatException($"--listen: '{silo.ListenAddress}' is not an IP address.");
    if (!string.IsNullOrWhiteSpace(zooKeeper))
    {
        DiMint.ZooKeeper.ZooKeeperConnectionString.Parse(zooKeeper);
    }

    var zooKeeperDigest = builder.Configuration["DiMint:ZooKeeper:DigestFile"] is { Length: > 0 } digestFile
        ? DiMint.ZooKeeper.ZooKeeperDigest.FromFile(digestFile)
        : builder.Configuration["DiMint:ZooKeeper:Digest"] is { Length: > 0 } digest ? digest : null;
    var security = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
    var secret = DiMint.ClusterSecret.From(security.ClusterSecret, security.ClusterSecretFile);
    var tls = (security.TlsAuthorityFile, security.TlsCertificateFile) switch
    {
        (null, null) => null,
        ({ } authority, { } certificate) => DiMint.ClusterTls.Load(authority, certificate, security.TlsCertificatePassword),
        _ => throw new FormatException("TLS needs both --tls-authority and --tls-certificate."),
    };
    var listening = listen ?? (string.IsNullOrWhiteSpace(zooKeeper) ? IPAddress.Loopback : advertised);
    if (secret is null && !IPAddress.IsLoopback(listening) && !security.AllowAnonymous)
    {
        throw new ArgumentException(
            $"This silo would listen on {listening}, beyond this machine, without a cluster secret: anyone who reaches it could read and write every key. " +
            "Give the cluster's secret (--secret-file FILE, or DiMint:Security:ClusterSecret), or run it open with DiMint:Security:AllowAnonymous=true.");
    }

    builder.UseOrleans(orleans =>
    {
        if (string.IsNullOrWhiteSpace(zooKeeper))
        {
            // The embedded default: the primary silo keeps the membership table; no external service.
            orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, primary, silo.ServiceId, silo.ClusterId);
            if (string.IsNullOrWhiteSpace(silo.RingDirectory))
            {
                orleans.AddDiMintMemoryRingStorage();
            }
            else
            {
                orleans.AddDiMintFileRingStorage(silo.RingDirectory);
            }
        }
        else
        {
            orleans.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.ServiceId;
            });
            orleans.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = advertised;
                o.SiloPort = silo.SiloPort;
                o.GatewayPort = silo.GatewayPort;
            });
            orleans.UseDiMintZooKeeperClustering(o =>
            {
                o.ConnectionString = zooKeeper;
                o.Digest = zooKeeperDigest;
            });
            orleans.AddDiMintZooKeeperGrainStorage(DiMintStorage.Ring, o =>
            {
                o.ConnectionString = zooKeeper;
                o.Digest = zooKeeperDigest;
            });
        }

        // Every listener on one address (the data port follows the silo port's): the advertised one unless --listen.
        orleans.Configure<EndpointOptions>(o =>
        {
            o.SiloListeningEndpoint = new IPEndPoint(listening, silo.SiloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(listening, silo.GatewayPort);
        });
        orleans.AddDiMint(state);
        if (tls is not null)
        {
            // Before the secret: its handshake then runs inside TLS.
            orleans.UseDiMintTls(tls);
        }

        if (secret is not null)
        {
            orleans.UseDiMintClusterSecret(secret);
        }
        else
        {
            // Joining a cluster that wants a secret fails with a clear error.
            orleans.Configure<SiloConnectionOptions>(o => o.ConfigureSiloOutboundConnection(c => c.DetectClusterSecretRequired()));
        }

        // Declare a silo that stopped answering dead in about ten seconds rather than Orleans' default of about a minute:
        // until then a grain that lived there (the overlord, for one) cannot start anywhere else. Orleans suppresses
        // votes against a silo it heard from within MaxProbeTimeout x NumMissedProbesLimit (by default 4 x ProbeTimeout
        // x 3, 24 s here: a partition that cut the overlord off left the other side without one for that long), so
        // MaxProbeTimeout is capped too. Shorter probes declare busy silos dead on a loaded machine. DiMint's own
        // failover of ranges does not wait for this, and a silo declared dead keeps its data: it restarts its runtime
        // (see docs/architecture.md).
        orleans.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.MaxProbeTimeout = TimeSpan.FromSeconds(3);
            o.NumMissedProbesLimit = 3;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        });
        orleans.AddDashboard();
        if (silo.RespPort is { } respPort)
        {
            // The port's client reaches the other silos' data ports as an app's does, and its own silo's ranges in-process.
            orleans.Services.AddSingleton(sp => new RespPort(
                listening,
                respPort,
                secret,
                tls,
                new DiMint.Client.DimintClientOptions
                {
                    ClusterSecret = security.ClusterSecret,
                    ClusterSecretFile = security.ClusterSecretFile,
                    TlsAuthorityFile = security.TlsAuthorityFile,
                    LocalBatches = sp.GetRequiredService<ILocalBatches>(),
                },
                sp.GetRequiredService<IClusterClient>(),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
            orleans.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RespPort>());
        }
    });
    builder.Services.AddSingleton(restart);
    builder.Services.Replace(ServiceDescriptor.Singleton<IFatalErrorHandler, RestartOnFatalError>());
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
    builder.Services.AddHostedService<ReadyAnnouncer>();
    builder.Services.AddSingleton(new ParentProcess(silo.ParentProcessId, "silo"));
    builder.Services.AddHostedService<ParentProcessWatcher>();
    return builder.Build();
}
