using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// The operator's way out for a range no promotion can serve (its copies are gone or unreachable): take one copy as it
/// is, or start the range empty. Never automatic; always logged as an error.
/// </summary>
internal sealed partial class OverlordGrain
{
    public async Task<RangeInfo> RecoverRangeAsync(int rangeId, SiloAddress? from, bool empty)
    {
        var ring = await GetRingAsync();
        var range = ring.FindById(rangeId) ?? throw UnknownRange(rangeId, ring);
        if ((from is null) == !empty)
        {
            throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, "Recover a range either from a silo's copy or empty, not both and not neither.");
        }

        CheckIdle(rangeId);
        var master = from ?? EligibleSilos().OrderBy(s => ring.Ranges.Count(r => r.Master.Equals(s))).ThenBy(s => s.ToParsableString(), StringComparer.Ordinal).FirstOrDefault()
            ?? throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, "No silo can take the range.");
        if (!IsUsable(master))
        {
            throw new RingOperationException(DiMintErrorCode.UnknownSilo, $"Silo {master} is not an active member of the cluster.");
        }

        _busy[rangeId] = -1;
        try
        {
            var epoch = Math.Max(range.Epoch, _fencedEpochs.GetValueOrDefault(rangeId)) + 1;
            if (from is not null)
            {
                var state = await ReplicaOn(rangeId, from).FenceAsync(rangeId, epoch).WaitAsync(CallTimeout);
                if (!state.Complete)
                {
                    throw new RingOperationException(DiMintErrorCode.InvalidRingOperation, $"Silo {from} holds no complete copy of range {rangeId}.");
                }

                epoch = Math.Max(epoch, state.FencedEpoch);
            }

            var changed = await ChangeRingAsync(now => now.FindById(rangeId) is { } current && current.GrainKey == range.GrainKey
                ? now with { Version = now.Version + 1, Ranges = now.Ranges.Replace(current, RingPlanner.Recover(current, master, epoch, empty, EligibleSilos())) }
                : null)
                ?? throw new RingOperationException(DiMintErrorCode.OperationRolledBack, $"Range {rangeId} changed meanwhile; nothing was recovered.");
            _fencedEpochs.Remove(rangeId);
            var recovered = changed.After.FindById(rangeId)!;
            LogRecovered(logger, rangeId, empty ? "empty" : $"from the copy on {from}", recovered.Master.ToString(), recovered.Epoch);
            await AfterChangeAsync(changed.Before, changed.After);
            return recovered;
        }
        finally
        {
            _busy.Remove(rangeId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Range {RangeId} recovered by an operator, {How}: master {Master} at epoch {Epoch}. Acknowledged writes held only by copies that were not reachable may be lost")]
    private static partial void LogRecovered(ILogger logger, int rangeId, string how, string master, long epoch);
}
