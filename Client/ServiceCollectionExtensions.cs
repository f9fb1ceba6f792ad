using DiMint.Client;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="DimintClient"/> in a generic-host application.</summary>
public static class DimintServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client connected to the DiMint cluster (it connects when the host starts) and a singleton
    /// <see cref="DimintClient"/> over it.
    /// </summary>
    public static IServiceCollection AddDimintClient(this IServiceCollection services, Action<DimintClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new DimintClientOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddOrleansClient(client => DimintClient.ConfigureOrleansClient(client, options));
        services.AddSingleton(sp => new DimintClient(sp.GetRequiredService<IClusterClient>(), options));
        return services;
    }
}
