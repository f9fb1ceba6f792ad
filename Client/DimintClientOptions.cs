namespace DiMint.Client;

/// <summary>How <see cref="DimintClient"/> reaches the cluster and what it checks before sending.</summary>
public sealed class DimintClientOptions
{
    /// <summary>The configuration section (<c>DiMint:Client</c>).</summary>
    public const string Section = "DiMint:Client";

    /// <summary>Silo gateways as <c>host:port</c>. Default: <c>127.0.0.1:30000</c>, the first gateway <c>dimint up</c> starts.</summary>
    public IList<string> Gateways { get; set; } = ["127.0.0.1:30000"];

    /// <summary>
    /// A ZooKeeper connection string (<c>host:port[,host:port...][/chroot]</c>). When set, the client finds the silos'
    /// gateways in the cluster's ZooKeeper membership table and <see cref="Gateways"/> is not used: the application
    /// needs to know nothing else about the servers.
    /// </summary>
    public string? ZooKeeper { get; set; }

    /// <summary>
    /// The cluster's secret (the silos' <c>DiMint:Security:ClusterSecret</c>, at least 16 characters), which the client
    /// proves on every connection to a silo, and which the silo proves back. Null (the default) for a cluster that runs
    /// without one. <c>dimint up</c> makes one for its cluster and prints the file it is in (see
    /// <see cref="ClusterSecretFile"/>). A wrong or missing secret fails <see cref="DimintClient.ConnectAsync(DimintClientOptions?, CancellationToken)"/>
    /// with <see cref="UnauthorizedException"/>.
    /// </summary>
    public string? ClusterSecret { get; set; }

    /// <summary>A file holding the cluster's secret, instead of <see cref="ClusterSecret"/>: <c>dimint up</c> writes one.</summary>
    public string? ClusterSecretFile { get; set; }

    /// <summary>
    /// With <see cref="ZooKeeper"/>: <c>user:password</c> for ZooKeeper's digest scheme, when the cluster's znodes are
    /// protected by one (the silos' <c>DiMint:ZooKeeper:Digest</c>). Null (the default): no ZooKeeper authentication.
    /// </summary>
    public string? ZooKeeperDigest { get; set; }

    /// <summary>
    /// The PEM file of the certificate authority of a cluster whose silos run TLS (their <c>--tls-authority</c>): the
    /// client's connections to gateways and data ports run TLS, and a silo's certificate must chain to it. Null (the
    /// default): no TLS.
    /// </summary>
    public string? TlsAuthorityFile { get; set; }

    /// <summary>The Orleans cluster id the silos use. Default <c>dimint</c>.</summary>
    public string ClusterId { get; set; } = "dimint";

    /// <summary>The Orleans service id the silos use. Default <c>dimint</c>.</summary>
    public string ServiceId { get; set; } = "dimint";

    /// <summary>Largest key, in UTF-8 bytes, checked before sending. Default 16 KiB (the silos' default).</summary>
    public int MaxKeyBytes { get; set; } = 16 * 1024;

    /// <summary>Largest encoded value, checked before sending. Default 16 MiB (the silos' default).</summary>
    public int MaxValueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long one request keeps being retried (the ring changed, a silo is gone and its ranges are failing over, too
    /// few replicas confirmed a write) before it fails with the last error. Default 15 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long one attempt may take before it is abandoned and retried (a silo that died mid-call may otherwise hold
    /// it for Orleans' 30 s response timeout). Longer than the silos' replica acknowledgement timeout. Default 5 s.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where reads go by default: the master (the default), or a replica (query offloading, possibly stale by the replication lag).</summary>
    public ReadPreference ReadPreference { get; set; } = ReadPreference.Master;

    /// <summary>The pause before retrying after a failed call (doubles each time, up to 250 ms). Default 20 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long <see cref="DimintClient.ConnectAsync(DimintClientOptions?, CancellationToken)"/> keeps trying to reach a gateway. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest batch (in encoded bytes) sent in one grain call by <see cref="DimintClient.SetManyAsync{TKey, TValue}"/>. Default 4 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Whether concurrent single-key operations (<see cref="DimintClient.GetAsync{T}(object, CancellationToken)"/>,
    /// <see cref="DimintClient.TryGetAsync{T}(object, CancellationToken)"/>, <see cref="DimintClient.SetAsync(object, object?, CancellationToken)"/>) bound for
    /// the same silo travel together. An operation leaves at once when no call to its silo is in flight, so latency at low
    /// load does not change; while one is in flight, operations wait for it and then leave as one call (at most
    /// <see cref="MaxAutoBatchOps"/> operations and <see cref="MaxAutoBatchBytes"/>). Each caller still gets its own value,
    /// error and retries. Reads with <see cref="ReadPreference.Replica"/>, deletes and exists-checks are not batched.
    /// Default true.
    /// </summary>
    public bool AutoBatching { get; set; } = true;

    /// <summary>
    /// Whether automatic batches (see <see cref="AutoBatching"/>) go to each silo's data port: a plain TCP connection per
    /// silo that carries the same batches as the Orleans call, without Orleans' messaging around each (the silo says
    /// where it is; see the silos' <c>DiMint:DataPort</c> options). While a silo's connection is not open (being made,
    /// failed, or the silo has none), its batches go as Orleans calls. Everything else always goes through Orleans.
    /// Needs a client from <see cref="DimintClient.ConnectAsync(DimintClientOptions?, CancellationToken)"/> or over an
    /// <see cref="IClusterClient"/>. Default true.
    /// </summary>
    public bool UseDataPort { get; set; } = true;

    /// <summary>
    /// For a client that runs inside a silo (its Redis-protocol port's): that silo's batch executor. Batches for the
    /// silo's own ranges then run in-process instead of going to its data port over loopback. Null for an app's client.
    /// </summary>
    public ILocalBatches? LocalBatches { get; set; }

    /// <summary>The most operations one automatic batch carries (see <see cref="AutoBatching"/>). At least 1; default 128.</summary>
    public int MaxAutoBatchOps
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 128;

    /// <summary>
    /// The most key and value bytes one automatic batch carries (see <see cref="AutoBatching"/>); a larger operation goes
    /// alone. At least 1; default 1 MiB.
    /// </summary>
    public int MaxAutoBatchBytes
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 1024 * 1024;

    /// <summary>The secret of <see cref="ClusterSecret"/> or <see cref="ClusterSecretFile"/>, or null.</summary>
    /// <exception cref="FormatException">Both are set, the file cannot be read, or the secret is too short.</exception>
    internal DiMint.ClusterSecret? Secret() => DiMint.ClusterSecret.From(ClusterSecret, ClusterSecretFile);

    /// <summary>The TLS of <see cref="TlsAuthorityFile"/>, or null.</summary>
    /// <exception cref="FormatException">The file cannot be read or holds no certificate.</exception>
    internal ClusterTls? Tls() => TlsAuthorityFile is { Length: > 0 } authority ? ClusterTls.Load(authority) : null;
}
