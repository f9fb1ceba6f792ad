namespace DiMint.Client.Batching;

/// <summary>
/// The grain references of one ring's ranges, made once per ring. Orleans' <c>GetGrain</c> resolves the grain
/// interface type by reflection on every call, which cost a tenth of the client's CPU time when it ran per operation.
/// </summary>
internal sealed class RingGrains(Ring ring, IGrainFactory factory)
{
    private readonly IRangeGrain?[] _masters = new IRangeGrain?[ring.Ranges.Length];
    private readonly IRangeReplicaGrain?[]?[] _replicas = new IRangeReplicaGrain?[]?[ring.Ranges.Length];

    /// <summary>The ring these references belong to.</summary>
    public Ring Ring { get; } = ring;

    /// <summary>The master grain of the range at <paramref name="index"/> in <see cref="Ring"/>.</summary>
    public IRangeGrain Master(int index) =>
        _masters[index] ??= factory.GetGrain<IRangeGrain>(Ring.Ranges[index].GrainKey);

    /// <summary>Replica <paramref name="replica"/> of the range at <paramref name="index"/> in <see cref="Ring"/>.</summary>
    public IRangeReplicaGrain Replica(int index, int replica)
    {
        var range = Ring.Ranges[index];
        var replicas = _replicas[index] ??= new IRangeReplicaGrain?[range.Replicas.Length];
        return replicas[replica] ??= factory.GetGrain<IRangeReplicaGrain>($"{range.Id}/{range.Replicas[replica].ToParsableString()}");
    }
}
