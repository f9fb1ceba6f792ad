namespace DiMint.Dashboard.Hosting;

/// <summary>How the dashboard reaches the cluster and how it serves the page (set from the command line).</summary>
public sealed class DashboardHostOptions
{
    /// <summary>The default port: 8080.</summary>
    public const int DefaultPort = 8080;

    /// <summary>Silo gateways as <c>host:port</c>. Default <c>127.0.0.1:30000</c>, unless <see cref="ZooKeeper"/> is set.</summary>
    public List<string> Gateways { get; } = [];

    /// <summary>A ZooKeeper connection string (<c>host:port,...</c>); when set, gateways come from the cluster's membership there.</summary>
    public string? ZooKeeper { get; set; }

    /// <summary>With <see cref="ZooKeeper"/>: a file holding <c>user:password</c> for ZooKeeper's digest scheme, or null.</summary>
    public string? ZooKeeperAuthFile { get; set; }

    /// <summary>The CA (PEM) of a cluster whose silos run TLS, or null.</summary>
    public string? TlsAuthorityFile { get; set; }

    /// <summary>The file holding the cluster's secret, when the cluster has one.</summary>
    public string? ClusterSecretFile { get; set; }

    /// <summary>The Orleans cluster id. Default <c>dimint</c>.</summary>
    public string ClusterId { get; set; } = "dimint";

    /// <summary>The Orleans service id. Default <c>dimint</c>.</summary>
    public string ServiceId { get; set; } = "dimint";

    /// <summary>The address to bind. Default 127.0.0.1 (this machine only); <c>0.0.0.0</c> exposes the dashboard.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port to listen on; 0 picks a free one. Default <see cref="DefaultPort"/>.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>ASP.NET Core URLs (<c>http://host:port;...</c>); when set, they replace <see cref="Host"/> and <see cref="Port"/>.</summary>
    public string? Urls { get; set; }

    /// <summary>
    /// The token writes (sets and deletes) and admin actions (splits) must carry in the <c>X-DiMint-Admin-Token</c>
    /// header. Unset (the default) disables them: the dashboard only reads.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>How often the cluster is sampled. Default 1 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop when this process exits (<c>dimint up</c> passes its own id).</summary>
    public int? ParentProcessId { get; set; }

    /// <summary>The URLs Kestrel binds.</summary>
    public string ListenUrls => Urls ?? $"http://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}
