namespace DiMint.ZooKeeper;

/// <summary>One operation of an atomic <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
public sealed class ZooKeeperOp
{
    private ZooKeeperOp(ZooKeeperOpKind kind, string path, ReadOnlyMemory<byte> data, int version, CreateMode mode)
    {
        ZooKeeperPath.Validate(path, kind == ZooKeeperOpKind.Create && mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential);
        Kind = kind;
        Path = path;
        Data = data;
        Version = version;
        Mode = mode;
    }

    /// <summary>The kind of operation.</summary>
    public ZooKeeperOpKind Kind { get; }

    /// <summary>The node path, relative to the client's chroot.</summary>
    public string Path { get; }

    /// <summary>The data to write (create and setData).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The expected version (-1 matches any) for delete, setData and check.</summary>
    public int Version { get; }

    /// <summary>The create mode (create only).</summary>
    public CreateMode Mode { get; }

    /// <summary>Creates a node.</summary>
    public static ZooKeeperOp Create(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent) =>
        new(ZooKeeperOpKind.Create, path, data, -1, mode);

    /// <summary>Deletes a node if its version is <paramref name="version"/> (-1 for any version).</summary>
    public static ZooKeeperOp Delete(string path, int version = -1) =>
        new(ZooKeeperOpKind.Delete, path, ReadOnlyMemory<byte>.Empty, version, CreateMode.Persistent);

    /// <summary>Sets a node's data if its version is <paramref name="version"/> (-1 for any version).</summary>
    public static ZooKeeperOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) =>
        new(ZooKeeperOpKind.SetData, path, data, version, CreateMode.Persistent);

    /// <summary>Fails the transaction unless the node's version is <paramref name="version"/>.</summary>
    public static ZooKeeperOp Check(string path, int version) =>
        new(ZooKeeperOpKind.Check, path, ReadOnlyMemory<byte>.Empty, version, CreateMode.Persistent);
}
