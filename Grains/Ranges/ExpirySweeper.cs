using DiMint.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Ranges;

/// <summary>
/// Active expiry: ten times a second, each master range on this silo whose earliest expiry has passed deletes its expired
/// keys (<see cref="RangeGrain.ExpireDueAsync"/>, a replicated delete each), so their memory comes back without a reader
/// touching them. Readers already treat an expired value as missing; this only reclaims it. Each range keeps its keys'
/// expiry times in a queue, so a round costs one comparison per range with nothing due.
/// </summary>
internal sealed partial class ExpirySweeper(RangeStore store, LocalGrains<RangeGrain> ranges, TimeProvider time, ILogger<ExpirySweeper> logger) : SiloLoop
{
    /// <summary>How often the ranges are looked at.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    protected override async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await SweepAsync();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    /// <summary>One round: every due master range deletes what expired, the ranges in parallel.</summary>
    internal async Task<int> SweepAsync()
    {
        var now = ValueExpiry.NowMs();
        List<Task<int>>? rounds = null;
        foreach (var data in store.Live())
        {
            if (data.IsMaster && data.NextExpiry <= now && ranges.TryGet(data.Range.GrainKey, out var grain))
            {
                (rounds ??= []).Add(grain.ExpireDueAsync());
            }
        }

        if (rounds is null)
        {
            return 0;
        }

        try
        {
            return (await Task.WhenAll(rounds)).Sum();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSweepFailed(logger, ex.Message);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Active expiry failed in a range: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
