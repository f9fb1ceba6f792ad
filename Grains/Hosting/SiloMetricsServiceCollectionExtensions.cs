using DiMint.Grains.Silos;
using Microsoft.Extensions.DependencyInjection;

namespace DiMint.Grains.Hosting;

/// <summary>Registers the per-silo load counters that <see cref="ISiloMetricsGrain"/> reports.</summary>
internal static class SiloMetricsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="RangeCallCounter"/> and the incoming call filter that feeds it.</summary>
    public static IServiceCollection AddDiMintSiloMetrics(this IServiceCollection services)
    {
        services.AddSingleton<RangeCallCounter>();
        services.AddSingleton<IIncomingGrainCallFilter, RangeCallFilter>();
        return services;
    }
}
