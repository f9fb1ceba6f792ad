using DiMint.Grains.Hosting;

namespace DiMint.Grains.Overlord;

/// <summary>
/// How long the overlord lets a silo go unheard before failing it over. A process stalled by its garbage collector or a
/// starved CPU is silent as a paused one is, and each process measures its own stalls (<see cref="PauseMeter"/>): a silo
/// reports its longest recent stall in every probe answer, and the overlord knows its own. Each silo gets
/// <see cref="ReplicationOptions.FailoverTimeout"/>, or <see cref="Factor"/> times the longer of those two stalls when
/// that is longer, never more than <see cref="ReplicationOptions.MaxFailoverTimeout"/>. So a quiet cluster fails a
/// paused silo over after the short timeout, and one whose silos (or overlord) were just seen stalling for 0.8 s waits
/// them out instead of failing live silos over; a silo that keeps stalling still fails over within the maximum. A stall
/// longer than the maximum is not allowed for: it could not be waited out anyway, and it is what a process that was
/// stopped (SIGSTOP, a VM frozen) reports afterwards, which made the next pause of that silo wait the whole maximum.
/// </summary>
internal static class SilenceAllowance
{
    /// <summary>How many times the longest recent stall a silo is given (a stall may recur a little longer).</summary>
    public const double Factor = 2;

    /// <summary>The silence allowed to a silo that lately stalled <paramref name="siloStall"/>, probed by an overlord that stalled <paramref name="ownStall"/>.</summary>
    public static TimeSpan Of(TimeSpan siloStall, TimeSpan ownStall, ReplicationOptions options)
    {
        var max = options.MaxFailoverTimeout;
        var stall = TimeSpan.Zero;
        foreach (var measured in (ReadOnlySpan<TimeSpan>)[siloStall, ownStall])
        {
            if (measured <= max && measured > stall)
            {
                stall = measured;
            }
        }

        var allowed = stall * Factor < max ? stall * Factor : max;
        return allowed > options.FailoverTimeout ? allowed : options.FailoverTimeout;
    }
}
