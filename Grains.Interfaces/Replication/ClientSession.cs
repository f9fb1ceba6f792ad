namespace DiMint;

/// <summary>A client's writes a copy of a range has applied (id and sequence number), as a snapshot carries them.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ClientSession")]
public sealed record ClientSession
{
    /// <summary>The client (<see cref="WriteIds.ClientId"/>).</summary>
    [Id(0)]
    public required long ClientId { get; init; }

    /// <summary>The client's lowest write id still in flight when it last wrote.</summary>
    [Id(1)]
    public required long Oldest { get; init; }

    /// <summary>The ids of its writes the copy applied.</summary>
    [Id(2)]
    public required long[] Ids { get; init; }

    /// <summary>Their sequence numbers, in the order of <see cref="Ids"/>.</summary>
    [Id(3)]
    public required long[] Seqs { get; init; }

    /// <summary>The values the writes that answer with them stored (<see cref="ReplicationOp.KeepsValue"/>), in the order of <see cref="Ids"/>; null for the others, or when none does.</summary>
    [Id(4)]
    public byte[]?[]? Values { get; init; }
}
