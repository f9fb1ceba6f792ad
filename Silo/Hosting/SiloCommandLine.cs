namespace DiMint.Silo.Hosting;

/// <summary>The silo's command-line switches, mapped onto configuration keys.</summary>
internal static class SiloCommandLine
{
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--silo-port"] = "DiMint:Silo:SiloPort",
        ["--gateway-port"] = "DiMint:Silo:GatewayPort",
        ["--primary"] = "DiMint:Silo:PrimarySiloEndpoint",
        ["--cluster-id"] = "DiMint:Silo:ClusterId",
        ["--service-id"] = "DiMint:Silo:ServiceId",
        ["--parent-pid"] = "DiMint:Silo:ParentProcessId",
        ["--ranges-per-silo"] = "DiMint:Ring:InitialRangesPerSilo",
        ["--zookeeper"] = "DiMint:ZooKeeper:ConnectionString",
        ["--zookeeper-auth-file"] = "DiMint:ZooKeeper:DigestFile",
        ["--ring-dir"] = "DiMint:Silo:RingDirectory",
        ["--advertise"] = "DiMint:Silo:AdvertisedAddress",
        ["--listen"] = "DiMint:Silo:ListenAddress",
        ["--secret-file"] = "DiMint:Security:ClusterSecretFile",
        ["--tls-authority"] = "DiMint:Security:TlsAuthorityFile",
        ["--tls-certificate"] = "DiMint:Security:TlsCertificateFile",
        ["--replication-factor"] = "DiMint:Replication:ReplicationFactor",
        ["--resp-port"] = "DiMint:Silo:RespPort",
    };

    public const string Usage = """
        Usage: dotnet run --project Silo -- [options]

        Starts one DiMint silo. Without options it is the primary of a local cluster
        (silo port 11111, gateway 30000), with no external service needed. With --zookeeper
        it joins the cluster registered in that ZooKeeper ensemble, and the ring is kept there.

        Options (also settable in appsettings.json, section DiMint:Silo, or as DiMint__Silo__* variables):
          --silo-port PORT        port silos talk to each other on (default 11111)
          --gateway-port PORT     port clients connect to (default 30000)
          --primary HOST:PORT     silo port of the cluster's primary silo (default 127.0.0.1:11111;
                                  ignored with --zookeeper)
          --zookeeper HOSTS       ZooKeeper connection string, host:port[,host:port...][/chroot]
                                  (DiMint:ZooKeeper:ConnectionString)
          --zookeeper-auth-file FILE  a file holding user:password for ZooKeeper's digest scheme: DiMint's
                                  znodes (and a missing chroot, which is created) are then that user's only
                                  (DiMint:ZooKeeper:DigestFile, or DiMint:ZooKeeper:Digest)
          --ring-dir DIR          without --zookeeper: keep the ring in files in DIR, shared by every silo
                                  of the (one-machine) cluster, so it outlives any of them (dimint up sets
                                  it); without it, in memory, lost with the silo that holds it
          --advertise ADDRESS     the IP address other silos and clients reach this silo at
                                  (default 127.0.0.1; set it on every host of a multi-host cluster)
          --listen ADDRESS        the address the silo port, gateway and data port listen on (default:
                                  the advertised one; 0.0.0.0 or :: for all of the host's addresses)
          --secret-file FILE      the cluster's secret (DiMint:Security:ClusterSecretFile; or the secret
                                  itself in DiMint:Security:ClusterSecret). Every connection to the silo
                                  proves it first; silos and clients without it are refused. A silo
                                  listening beyond loopback needs one, unless
                                  DiMint:Security:AllowAnonymous is true
          --tls-authority FILE    with --tls-certificate: TLS on silo-to-silo, client-to-gateway and
                                  data port connections; peers' certificates must chain to this CA
                                  (PEM)
          --tls-certificate FILE  this silo's certificate and key, PKCS#12 (password in
                                  DiMint:Security:TlsCertificatePassword)
          --cluster-id ID         Orleans cluster id (default dimint)
          --service-id ID         Orleans service id (default dimint)
          --ranges-per-silo N     ranges per silo when the ring is first created (default 8)
          --replication-factor N  copies of each range, the master's included (default 3; 5 survives
                                  two faults; DiMint:Replication:ReplicationFactor)
          --resp-port PORT        listen for Redis-protocol clients (redis-cli, any Redis client) on PORT
                                  (0: any free port; default: no such port); AUTH with the cluster secret
          --parent-pid PID        stop when process PID exits
          -h, --help              show this help
        """;

    /// <summary>Returns an error message for the first unknown or valueless switch, or null.</summary>
    public static string? Validate(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            if (!Switches.ContainsKey(name))
            {
                return $"Unknown option '{arg}'.";
            }

            if (!arg.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return $"Option '{name}' needs a value.";
                }

                i++;
            }
        }

        return null;
    }
}
