using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DiMint.Silo.Hosting;

/// <summary>Logs one line when the silo serves, naming its ports, for people and scripts watching the output.</summary>
internal sealed partial class ReadyAnnouncer(
    IOptions<SiloHostOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ReadyAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
            LogReady(logger, options.Value.SiloPort, options.Value.GatewayPort, Environment.ProcessId));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "DiMint silo ready: silo port {SiloPort}, gateway port {GatewayPort}, pid {ProcessId}")]
    private static partial void LogReady(ILogger logger, int siloPort, int gatewayPort, int processId);
}
