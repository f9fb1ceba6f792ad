using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DiMint.Dashboard.Hosting;

/// <summary>Prints one line with the dashboard's URL once it listens (what <c>dimint up</c> and tests read).</summary>
internal sealed class ListeningAnnouncer(IServer server, IHostApplicationLifetime lifetime) : IHostedService
{
    /// <summary>The start of the line.</summary>
    public const string Prefix = "DiMint dashboard: ";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                Console.Out.WriteLine($"{Prefix}{address.TrimEnd('/')}/");
            }

            Console.Out.Flush();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
