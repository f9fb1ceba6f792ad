using DiMint.Grains.Rebalancing;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Automatic balancing: every <see cref="Hosting.RebalanceOptions.BalanceInterval"/> the overlord asks the silos what
/// their ranges hold and starts what <see cref="RebalancePlanner"/> plans, within the free operation slots.
/// </summary>
internal sealed partial class OverlordGrain
{
    private IGrainTimer? _balanceTimer;

    private void StartBalancing()
    {
        var options = rebalance.Value;
        if (options.AutoBalance)
        {
            _balanceTimer = this.RegisterGrainTimer(BalanceAsync, new GrainTimerCreationOptions(options.BalanceInterval, options.BalanceInterval));
        }
    }

    private async Task BalanceAsync(CancellationToken cancellationToken)
    {
        var slots = rebalance.Value.MaxConcurrentOperations - _running.Values.Count(o => o.Info.Kind != RingOperationKind.Drain);
        if (_ring is not { } ring || slots <= 0 || _suspects.Count > 0 || !election.IsLeader)
        {
            return;
        }

        foreach (var planned in await PlanBalanceAsync(ring, slots))
        {
            try
            {
                await StartPlannedAsync(planned, automatic: true);
            }
            catch (RingOperationException ex)
            {
                LogPlanSkipped(logger, planned.Kind.ToString(), planned.RangeId, ex.Message);
            }
        }
    }

    /// <summary>What the policy would start now, given what the masters hold (ranges whose master did not answer are left alone).</summary>
    private async Task<List<PlannedOperation>> PlanBalanceAsync(Ring ring, int slots)
    {
        var silos = EligibleSilos();
        var stats = await Task.WhenAll(silos.Select(TryGetStatsAsync));
        var answered = new HashSet<SiloAddress>();
        var sizes = new Dictionary<int, RangeSize>();
        for (var i = 0; i < silos.Length; i++)
        {
            if (stats[i] is not { } silo)
            {
                continue;
            }

            answered.Add(silos[i]);
            foreach (var range in silo.Ranges)
            {
                if (IsMastersCopy(ring, range, silos[i]))
                {
                    sizes[range.RangeId] = new RangeSize(range.Keys, range.Bytes);
                }
            }
        }

        foreach (var range in ring.Ranges)
        {
            if (!sizes.ContainsKey(range.Id) && answered.Contains(range.Master))
            {
                // Never used: its master was never activated.
                sizes[range.Id] = new RangeSize(0, 0);
            }
        }

        ring = _ring ?? ring;
        return RebalancePlanner.Plan(ring, sizes, silos, rebalance.Value, _busy.Keys.ToHashSet(), slots);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Planned {Kind} of range {RangeId} not started: {Reason}")]
    private static partial void LogPlanSkipped(ILogger logger, string kind, int rangeId, string reason);
}
