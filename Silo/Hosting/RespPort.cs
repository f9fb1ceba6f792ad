using System.Net;
using DiMint.Client;
using DiMint.Resp;
using Microsoft.Extensions.Logging;

namespace DiMint.Silo.Hosting;

/// <summary>
/// The silo's Redis-protocol port (<c>--resp-port</c>): opened when the silo becomes active, on the address its other
/// ports listen on, with the cluster's secret as the AUTH password and its TLS certificate when it runs TLS. Commands go
/// through a <see cref="DimintClient"/> over this silo's own cluster client (<paramref name="clientOptions"/>: the
/// cluster's secret and CA, so its batches go to the masters' data ports as an app's do), routed to each key's master.
/// </summary>
internal sealed class RespPort(IPAddress address, int port, ClusterSecret? secret, ClusterTls? tls, DimintClientOptions clientOptions, IClusterClient cluster, ILoggerFactory loggers)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private RespServer? _server;

    /// <summary>Where the port listens; null while it is closed.</summary>
    public IPEndPoint? Endpoint => _server?.Endpoint;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RespPort), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        var client = new DimintClient(cluster, clientOptions);
        _server = new RespServer(client, new RespServerOptions { Address = address, Port = port, Secret = secret, Certificate = tls?.Certificate }, loggers.CreateLogger<RespServer>());
        _server.Start();
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }
    }
}
