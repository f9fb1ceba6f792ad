using DiMint.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Wakes the overlord every half <see cref="ReplicationOptions.FailoverTimeout"/> on the silo that holds its lease
/// (<see cref="OverlordElection"/>, which places it there), so an overlord whose activation went (deposed and taken back,
/// or its first wake at the takeover lost) runs again at once rather than when a client happens to need the ring: until
/// then no range can be promoted. Only the lease's holder calls, and the call stays on its silo: every silo used to call,
/// about 3 calls a second per silo for the overlord to answer (670 a second at 200 silos).
/// </summary>
internal sealed class OverlordWatch(IGrainFactory grains, OverlordElection election, IOptions<ReplicationOptions> options) : SiloLoop
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
                if (election.IsLeader)
                {
                    await overlord.WakeAsync().WaitAsync(every * 2, stop);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or OperationCanceledException)
            {
                // Asked again in a moment (or stopping).
            }
        }
    }
}
