namespace DiMint;

/// <summary>The overlord's answer to a master that has been fenced for too long.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.FenceVerdict")]
public sealed record FenceVerdict
{
    /// <summary>Keep waiting: the operation is still under way.</summary>
    [Id(0)]
    public bool Wait { get; init; }

    /// <summary>The current ring: if it no longer names the master, step down; else lift the fence.</summary>
    [Id(1)]
    public Ring? Ring { get; init; }
}
