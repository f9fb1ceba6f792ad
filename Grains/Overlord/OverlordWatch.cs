using DiMint.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Calls the overlord from every silo once a second, so that an overlord whose silo died, or was cut off and declared
/// dead, starts again on a silo that is up as soon as Orleans allows, rather than when a client happens to need the ring:
/// until then no range on this side of a partition can be promoted.
/// </summary>
internal sealed class OverlordWatch(IGrainFactory grains, IOptions<ReplicationOptions> options) : SiloLoop
{
    protected override async Task RunAsync(CancellationToken stop)
    {
        var overlord = grains.GetGrain<IOverlordGrain>(GrainKeys.Overlord);
        var every = options.Value.FailoverTimeout / 2;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop);
                await overlord.WakeAsync().WaitAsync(every * 2, stop);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or OperationCanceledException)
            {
                // Asked again in a moment (or stopping).
            }
        }
    }
}
