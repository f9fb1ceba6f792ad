using System.Net;
using DiMint.Grains.Hosting;
using DiMint.Hosting;
using DiMint.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
IPEndPoint primary;
IPAddress advertised;
try
{
    primary = DiMint.HostPort.Parse(silo.PrimarySiloEndpoint);
    advertised = IPAddress.TryParse(silo.AdvertisedAddress, out var address)
        ? address
        : throw new FormatException($"--advertise: '{silo.AdvertisedAddress}' is not an IP address.");
    if (!string.IsNullOrWhiteSpace(zooKeeper))
    {
        DiMint.ZooKeeper.ZooKeeperConnectionString.Parse(zooKeeper);
    }
}
catch (Exception ex) when (ex is FormatException or ArgumentException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

builder.UseOrleans(orleans =>
{
    if (string.IsNullOrWhiteSpace(zooKeeper))
    {
        // The embedded default: the primary silo keeps the membership table; no external service.
        orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, primary, silo.ServiceId, silo.ClusterId);
        orleans.AddDiMintMemoryRingStorage();
    }
    else
    {
        orleans.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = silo.ClusterId;
            o.ServiceId = silo.ServiceId;
        });
        orleans.ConfigureEndpoints(advertised, silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        orleans.UseDiMintZooKeeperClustering(o => o.ConnectionString = zooKeeper);
        orleans.AddDiMintZooKeeperGrainStorage(DiMintStorage.Ring, o => o.ConnectionString = zooKeeper);
    }

    orleans.AddDiMint();

    // Declare a silo that stopped answering dead in about six seconds rather than Orleans' default ~15 s: until then a
    // grain that lived there (the overlord, for one) cannot start anywhere else. Shorter probes declare busy silos
    // dead on a loaded machine. DiMint's own failover of ranges does not wait for this (see docs/architecture.md).
    orleans.Configure<ClusterMembershipOptions>(o =>
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(2);
        o.NumMissedProbesLimit = 3;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
    });
    orleans.AddDashboard();
});
builder.Services.AddHostedService<ReadyAnnouncer>();
builder.Services.AddSingleton(new ParentProcess(silo.ParentProcessId, "silo"));
builder.Services.AddHostedService<ParentProcessWatcher>();

using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
