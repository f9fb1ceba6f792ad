using DiMint.Grains.Placement;
using Orleans.GrainDirectory;

namespace DiMint.Grains.Silos;

/// <summary>Reports its silo's load counters; pinned to that silo by its key.</summary>
[SiloPinnedPlacement]
[GrainDirectory(SiloPinnedGrainDirectory.Name)]
internal sealed class SiloMetricsGrain(RangeCallCounter counter, TimeProvider time) : Grain, ISiloMetricsGrain
{
    public Task<SiloLoad> GetLoadAsync() => Task.FromResult(counter.Snapshot(time));
}
