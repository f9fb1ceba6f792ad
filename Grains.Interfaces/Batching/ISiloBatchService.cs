using Orleans.Services;

namespace DiMint;

/// <summary>
/// Serves a client's batch of reads and writes for several ranges whose masters live on one silo. It is a per-silo
/// service (an Orleans system target) rather than a grain, so that the client can address the silo itself: a call
/// made with <see cref="SiloBatchServiceId.At"/> of a silo's gateway travels to that gateway and is served there,
/// instead of landing on whichever gateway Orleans picks for a grain and being forwarded (a second hop each way).
/// Any silo can serve any batch: it calls the ranges' grains, wherever they live.
/// </summary>
[Alias("DiMint.ISiloBatchService")]
public interface ISiloBatchService : IGrainService
{
    /// <summary>
    /// Runs each range's part: reads from the masters on this silo directly, writes with
    /// <see cref="IRangeGrain.SetManyAsync"/>, everything else (a range not mastered here) with
    /// <see cref="IRangeGrain.GetManyAsync"/> and <see cref="IRangeGrain.SetManyAsync"/>, all ranges at once. Answers
    /// one result per part, in order. A part that fails carries its error; the others are unaffected.
    /// </summary>
    [Alias("Execute")]
    Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion);

    /// <summary>The silo that served the call (the client maps gateways to silos with it).</summary>
    [Alias("Silo")]
    Task<SiloAddress> GetSiloAsync();

    /// <summary>
    /// The TCP port of the silo's data port (on the silo's own address), or 0 when the silo has none. The data port takes
    /// the same batches as <see cref="ExecuteAsync"/> as frames on a plain connection (<see cref="FramedSocket"/>,
    /// <see cref="DataPortRequest"/>), without Orleans' messaging around each call.
    /// </summary>
    [Alias("DataPort")]
    Task<int> GetDataPortAsync();
}

/// <summary>The identity of the <see cref="ISiloBatchService"/> on a silo.</summary>
public static class SiloBatchServiceId
{
    /// <summary>The service's grain type: a fixed code, the same in silos and clients.</summary>
    public static readonly GrainType Type = SystemTargetGrainId.CreateGrainType("dimint-batch");

    /// <summary>
    /// The service on the silo whose gateway is <paramref name="gateway"/> (its endpoint, generation 0): the client sends
    /// such a call straight to that gateway, and the gateway serves it itself.
    /// </summary>
    public static GrainId At(SiloAddress gateway) => SystemTargetGrainId.Create(Type, gateway).GrainId;
}
