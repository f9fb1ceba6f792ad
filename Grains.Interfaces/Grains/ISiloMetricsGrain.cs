namespace DiMint;

/// <summary>
/// One per silo, pinned to the silo its key names (<see cref="SiloAddress.ToParsableString"/>): the silo's load
/// counters, for dashboards. Not on the data path.
/// </summary>
[Alias("DiMint.ISiloMetricsGrain")]
public interface ISiloMetricsGrain : IGrainWithStringKey
{
    /// <summary>The silo's counters now.</summary>
    [Alias("GetLoad")]
    Task<SiloLoad> GetLoadAsync();
}
