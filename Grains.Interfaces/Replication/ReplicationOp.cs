namespace DiMint;

/// <summary>One write as a master sends it to its replicas: a set, or a delete when <see cref="Value"/> is null.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.ReplicationOp")]
public readonly record struct ReplicationOp
{
    /// <summary>The key written.</summary>
    [Id(0)]
    public required string Key { get; init; }

    /// <summary>The encoded value, or null for a delete.</summary>
    [Id(1)]
    public byte[]? Value { get; init; }

    /// <summary>The writing client (<see cref="WriteIds.ClientId"/>), or 0 for a write that carries no id.</summary>
    [Id(2)]
    public long ClientId { get; init; }

    /// <summary>The write's id from its client.</summary>
    [Id(3)]
    public long WriteId { get; init; }

    /// <summary>The client's lowest write id still in flight when it sent this one.</summary>
    [Id(4)]
    public long Oldest { get; init; }

    /// <summary>
    /// Whether the write's answer is the value it stored (an increment's result): copies keep the value with the write's
    /// id, so a retry of it is answered the same on whichever copy is master then.
    /// </summary>
    [Id(5)]
    public bool KeepsValue { get; init; }
}
