using System.Net;
using DiMint.Grains.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DiMint.Silo.Hosting;

/// <summary>
/// Logs one line when the silo serves, naming its ports and what listens where, for people and scripts watching the
/// output (<c>dimint up</c> prints the part after "listening").
/// </summary>
internal sealed partial class ReadyAnnouncer(
    IOptions<SiloHostOptions> options,
    IOptions<EndpointOptions> endpoints,
    DataPortEndpoint dataPort,
    ClusterAccess access,
    IHostApplicationLifetime lifetime,
    ILogger<ReadyAnnouncer> logger,
    RespPort? resp = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var e = endpoints.Value;
            var silo = e.SiloListeningEndpoint ?? new IPEndPoint(e.AdvertisedIPAddress, e.SiloPort);
            var gateway = e.GatewayListeningEndpoint ?? new IPEndPoint(e.AdvertisedIPAddress, e.GatewayPort);
            LogReady(
                logger,
                options.Value.SiloPort,
                options.Value.GatewayPort,
                Environment.ProcessId,
                silo.ToString(),
                gateway.ToString(),
                dataPort.Current?.ToString() ?? "none",
                resp?.Endpoint?.ToString() ?? "none",
                access.Secret is null ? "open (no cluster secret)" : "cluster secret required");
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "DiMint silo ready: silo port {SiloPort}, gateway port {GatewayPort}, pid {ProcessId}; listening: silo {Silo}, gateway {Gateway}, data port {DataPort}, Redis protocol {Resp}; {Access}")]
    private static partial void LogReady(ILogger logger, int siloPort, int gatewayPort, int processId, string silo, string gateway, string dataPort, string resp, string access);
}
