namespace DiMint.ZooKeeper;

/// <summary>The kinds of operation a <see cref="ZooKeeperClient.MultiAsync"/> transaction can hold.</summary>
public enum ZooKeeperOpKind
{
    /// <summary>Create a node.</summary>
    Create = 1,

    /// <summary>Delete a node, optionally conditioned on its version.</summary>
    Delete = 2,

    /// <summary>Set a node's data, optionally conditioned on its version.</summary>
    SetData = 5,

    /// <summary>Check that a node has a version, without changing it.</summary>
    Check = 13,
}
