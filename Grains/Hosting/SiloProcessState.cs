using DiMint.Grains.Ranges;

namespace DiMint.Grains.Hosting;

/// <summary>
/// What a silo process keeps while its Orleans runtime restarts: the range copies, and the silo addresses it had. Orleans
/// stops a silo the cluster declared dead (a pause, or a partition, long enough for the others to vote it out); its
/// process then starts a new runtime, a new silo to Orleans, and the copies it held live on, so the cluster's view of a
/// silo never decides which data survives. The overlord finds them through
/// <see cref="ISiloAgentGrain.GetEarlierIncarnationsAsync"/>.
/// </summary>
public sealed class SiloProcessState
{
    private readonly List<SiloAddress> _incarnations = [];
    private readonly Lock _lock = new();

    internal RangeStore Store { get; } = new();

    /// <summary>The silo addresses this process had, oldest first, its current one last.</summary>
    internal SiloAddress[] Incarnations
    {
        get
        {
            lock (_lock)
            {
                return [.. _incarnations];
            }
        }
    }

    /// <summary>How many range copies the process holds.</summary>
    public int Copies => Store.Live().Count;

    /// <summary>Records the address of the runtime that just started.</summary>
    internal void Started(SiloAddress silo)
    {
        lock (_lock)
        {
            _incarnations.Add(silo);
        }

        Store.Incarnation = silo;
    }

    /// <summary>
    /// Stops every master copy from acknowledging and serving (its fence raised past its epoch), before the runtime that
    /// ran its grain stops: a copy of an earlier runtime serves again only through a promotion, like any other copy.
    /// </summary>
    public void FreezeMasters()
    {
        foreach (var data in Store.Live())
        {
            if (data.IsMaster)
            {
                data.RaiseFence(data.Epoch + 1);
                data.LeaseUntil = 0;
            }
        }
    }
}
