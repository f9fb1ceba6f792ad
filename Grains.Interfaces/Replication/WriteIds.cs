namespace DiMint;

/// <summary>
/// Names a client's writes so that each takes effect once, however often the client retries it (a retry after a lost
/// answer reaches a master that applied the write already, and must not apply it again after others wrote the key).
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.WriteIds")]
public sealed record WriteIds
{
    /// <summary>The writing client's id, random per client instance.</summary>
    [Id(0)]
    public required long ClientId { get; init; }

    /// <summary>The client's lowest write id still in flight: the writes below it are settled and will not come again.</summary>
    [Id(1)]
    public required long Oldest { get; init; }

    /// <summary>Each write's id, in the order of the keys it goes with.</summary>
    [Id(2)]
    public required long[] Ids { get; init; }
}
