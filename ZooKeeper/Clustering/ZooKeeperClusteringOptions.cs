namespace DiMint.ZooKeeper;

/// <summary>
/// Settings of the ZooKeeper membership table (silos) and gateway list provider (clients). The table lives under
/// <c>/&lt;ClusterId&gt;</c>, relative to the connection string's chroot.
/// </summary>
public sealed class ZooKeeperClusteringOptions
{
    /// <summary>The ZooKeeper servers and optional chroot, <c>host:port,host:port/chroot</c>. Required; the chroot must exist.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The ZooKeeper session timeout (default 10 s).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
