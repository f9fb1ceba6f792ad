using System.Net;
using DiMint.Grains.Hosting;
using DiMint.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
IPEndPoint primary;
try
{
    primary = DiMint.HostPort.Parse(silo.PrimarySiloEndpoint);
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"--primary: {ex.Message}");
    return 2;
}

builder.UseOrleans(orleans =>
{
    orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, primary, silo.ServiceId, silo.ClusterId);
    orleans.AddDiMint();
    orleans.AddDiMintMemoryRingStorage();
});
builder.Services.AddHostedService<ReadyAnnouncer>();
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
