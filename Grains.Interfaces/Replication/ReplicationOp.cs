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
}
