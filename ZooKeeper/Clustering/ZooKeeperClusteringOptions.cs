namespace DiMint.ZooKeeper;

/// <summary>
/// Settings of the ZooKeeper membership table (silos) and gateway list provider (clients). The table lives under
/// <c>/&lt;ClusterId&gt;</c>, relative to the connection string's chroot.
/// </summary>
public sealed class ZooKeeperClusteringOptions
{
    /// <summary>The ZooKeeper servers and optional chroot, <c>host:port,host:port/chroot</c>. Required; a missing chroot is created.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The ZooKeeper session timeout (default 10 s).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>user:password</c> for ZooKeeper's digest scheme, or null: with it, DiMint's znodes are readable and writable by
    /// that user only (see <see cref="ZooKeeperClientOptions.Digest"/>).
    /// </summary>
    public string? Digest { get; set; }
}
