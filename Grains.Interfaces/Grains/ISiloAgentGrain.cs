namespace DiMint;

/// <summary>
/// One per silo, pinned to the silo its key names (<see cref="SiloAddress.ToParsableString"/>): reports what the
/// silo holds. Not on the data path.
/// </summary>
[Alias("DiMint.ISiloAgentGrain")]
public interface ISiloAgentGrain : IGrainWithStringKey
{
    /// <summary>The silo's ranges and process figures.</summary>
    [Alias("GetStats")]
    Task<SiloStats> GetStatsAsync();

    /// <summary>
    /// Answers at once: the overlord's health probe. The answer is the longest this silo's process was kept from running
    /// lately (garbage collection, a starved CPU), which the overlord allows for before failing it over. The probe names
    /// the overlord sending it and its lease term, as a data port probe does: the silo sends its calls for the overlord
    /// there from then on.
    /// </summary>
    [Alias("Ping")]
    Task<TimeSpan> PingAsync(SiloAddress? overlord = null, long overlordTerm = 0);

    /// <summary>
    /// The addresses this silo's process had before its Orleans runtime last restarted (declared dead by the cluster, it
    /// restarts and joins again as a new silo): the range copies of those silos are held here, unchanged.
    /// </summary>
    [Alias("GetEarlierIncarnations")]
    Task<SiloAddress[]> GetEarlierIncarnationsAsync();

    /// <summary>
    /// Drops the range copies <paramref name="ring"/> left behind on this silo: ranges it places on other silos at a newer
    /// epoch than the copy's (a deposed master's copy, a replaced replica's). Answers the ids of the ranges dropped.
    /// </summary>
    [Alias("DropStaleCopies")]
    Task<int[]> DropStaleCopiesAsync(Ring ring);
}
