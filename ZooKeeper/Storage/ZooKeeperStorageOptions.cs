using Orleans;
using Orleans.Storage;

namespace DiMint.ZooKeeper;

/// <summary>Settings of a ZooKeeper grain storage provider (<c>AddDiMintZooKeeperGrainStorage</c>).</summary>
public sealed class ZooKeeperStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The ZooKeeper servers and optional chroot, <c>host:port,host:port/chroot</c>. Required; a missing chroot is created.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The node under which states are stored, as <c>&lt;RootPath&gt;/&lt;state name&gt;/&lt;escaped grain id&gt;</c>.
    /// Default: <c>/&lt;ClusterId&gt;-dimint</c>. Created when missing.
    /// </summary>
    public string? RootPath { get; set; }

    /// <summary>The ZooKeeper session timeout (default 10 s).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The silo lifecycle stage at which the provider connects (default: application services).</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>The payload serializer; defaults to the silo's <see cref="IGrainStorageSerializer"/>.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>
    /// <c>user:password</c> for ZooKeeper's digest scheme, or null: with it, DiMint's znodes are readable and writable by
    /// that user only (see <see cref="ZooKeeperClientOptions.Digest"/>).
    /// </summary>
    public string? Digest { get; set; }
}
