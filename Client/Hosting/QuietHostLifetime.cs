using Microsoft.Extensions.Hosting;

namespace DiMint.Client.Hosting;

/// <summary>
/// The lifetime of the private host a <see cref="DimintClient"/> runs its Orleans client in. Unlike the default console
/// lifetime it installs no Ctrl+C or SIGTERM handlers: a client library must leave the application's signals alone.
/// </summary>
internal sealed class QuietHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
