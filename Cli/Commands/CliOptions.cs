using System.CommandLine;
using DiMint.Cli.LocalCluster;
using DiMint.Client;

namespace DiMint.Cli.Commands;

/// <summary>Options every command that talks to a cluster shares, and how they become a client.</summary>
internal static class CliOptions
{
    public static readonly Option<string[]> Gateway = new("--gateway", "-g")
    {
        Description = "A silo gateway as host:port (repeatable). Default: the cluster 'dimint up' runs, else 127.0.0.1:30000.",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> ZooKeeper = new("--zookeeper", "-z")
    {
        Description = "Find the cluster through this ZooKeeper ensemble (host:port[,host:port...][/chroot]) instead of gateways.",
        Recursive = true,
    };

    public static readonly Option<string?> ZooKeeperAuthFile = new("--zookeeper-auth-file")
    {
        Description = "With --zookeeper: a file holding user:password for ZooKeeper's digest scheme, when the cluster's znodes are protected by one.",
        Recursive = true,
    };

    public static readonly Option<string?> TlsAuthority = new("--tls-authority")
    {
        Description = "The PEM file of the CA of a cluster whose silos run TLS: connect over TLS, and trust silos whose certificates chain to it. "
            + "Default: the one of the cluster 'dimint up' runs. With up and --tls-certificate: the CA of the cluster it starts.",
        Recursive = true,
    };

    public static readonly Option<string?> SecretFile = new("--secret-file")
    {
        Description = "The file holding the cluster's secret. Default: the one of the cluster 'dimint up' runs (when no --gateway or --zookeeper is given), else none.",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of a table.",
    };

    public static async Task<DimintClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken, Action<DimintClientOptions>? configure = null)
    {
        var options = new DimintClientOptions { ConnectTimeout = TimeSpan.FromSeconds(15) };
        configure?.Invoke(options);
        var local = ClusterStateFile.ReadRunning();
        if (parse.GetValue(ZooKeeper) is { Length: > 0 } zooKeeper)
        {
            options.ZooKeeper = zooKeeper;
        }
        else if (parse.GetValue(Gateway) is { Length: > 0 } given)
        {
            options.Gateways = given;
        }
        else if (local is not null)
        {
            options.Gateways = local.Gateways;
        }

        // --gateway or --zookeeper naming the cluster 'dimint up' runs, or neither: its secret and its TLS.
        var isLocal = local is not null && IsThatCluster(options, local);
        if (parse.GetValue(TlsAuthority) is { Length: > 0 } tlsAuthority)
        {
            options.TlsAuthorityFile = tlsAuthority;
        }
        else if (isLocal)
        {
            options.TlsAuthorityFile = local!.TlsAuthorityFile;
        }

        if (parse.GetValue(ZooKeeperAuthFile) is { Length: > 0 } authFile)
        {
            options.ZooKeeperDigest = DiMint.ZooKeeper.ZooKeeperDigest.FromFile(authFile);
        }

        if (parse.GetValue(SecretFile) is { Length: > 0 } secretFile)
        {
            options.ClusterSecretFile = secretFile;
        }
        else if (options.ClusterSecretFile is null && isLocal)
        {
            options.ClusterSecretFile = local!.SecretFile;
        }

        foreach (var gateway in options.Gateways)
        {
            HostPort.Parse(gateway);
        }

        return await DimintClient.ConnectAsync(options, cancellationToken);
    }

    private static bool IsThatCluster(DimintClientOptions options, ClusterStateFile local) =>
        string.IsNullOrWhiteSpace(options.ZooKeeper)
            ? options.Gateways.Any(local.Gateways.Contains)
            : string.Equals(options.ZooKeeper, local.ZooKeeper, StringComparison.Ordinal);
}
