using System.Diagnostics;

namespace DiMint.Grains.Silos;

/// <summary>Times every call a range grain on this silo serves, for <see cref="RangeCallCounter"/>.</summary>
internal sealed class RangeCallFilter(RangeCallCounter counter) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is not IRangeGrain)
        {
            await context.Invoke();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await context.Invoke();
            failed = false;
        }
        finally
        {
            counter.Record(context.InterfaceMethod?.Name, Stopwatch.GetTimestamp() - started, failed);
        }
    }
}
