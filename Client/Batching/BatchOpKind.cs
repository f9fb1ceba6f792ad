namespace DiMint.Client.Batching;

/// <summary>What a <see cref="BatchOp"/> does.</summary>
internal enum BatchOpKind
{
    /// <summary>Reads a key from its range's master.</summary>
    Get,

    /// <summary>Writes a key.</summary>
    Set,

    /// <summary>Updates a key at its master (<see cref="IRangeGrain.UpdateAsync"/>): an increment, a conditional set ...</summary>
    Update,
}
