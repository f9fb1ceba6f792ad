using System.CommandLine;
using DiMint.Cli.LocalCluster;

namespace DiMint.Cli.Commands;

/// <summary><c>dimint up</c>: a local cluster of silo processes.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var silos = new Option<int>("--silos", "-n") { Description = "How many silo processes to start.", DefaultValueFactory = _ => 3 };
        var siloPort = new Option<int>("--silo-port") { Description = "Silo port of the first silo; the others count up.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Gateway port of the first silo; the others count up.", DefaultValueFactory = _ => 30000 };
        var ranges = new Option<int?>("--ranges-per-silo") { Description = "Ranges per silo when the ring is first created (default 8)." };
        var withZooKeeper = new Option<bool>("--with-zookeeper") { Description = "Start a local ZooKeeper server (Debian's zookeeper package) for the cluster and stop it at exit." };
        var dashboardPort = new Option<int>("--dashboard-port") { Description = "The dashboard's port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 8080 };
        var noDashboard = new Option<bool>("--no-dashboard") { Description = "Do not start the dashboard." };
        var respPort = new Option<int>("--resp-port") { Description = "Redis-protocol port of the first silo (redis-cli, any Redis client; AUTH with the cluster secret); the others count up.", DefaultValueFactory = _ => 7379 };
        var noResp = new Option<bool>("--no-resp") { Description = "Do not open the silos' Redis-protocol ports." };
        var zooKeeperPort = new Option<int>("--zookeeper-port") { Description = "The port of the server --with-zookeeper starts.", DefaultValueFactory = _ => 2181 };
        var tlsCertificate = new Option<string?>("--tls-certificate")
        {
            Description = "With --tls-authority: the silos' certificate and key (PKCS#12, issued by that CA; password in DiMint__Security__TlsCertificatePassword). "
                + "Every connection of the cluster, and of dimint's commands and the dashboard to it, then runs TLS.",
        };
        var command = new Command("up", "Start a local cluster of silo processes and the dashboard, wait until it serves, print its gateways and the dashboard's URL, and stop everything on Ctrl+C or SIGTERM. "
            + "By default the silos cluster among themselves (no external service); --zookeeper uses an ensemble, --with-zookeeper starts one.")
        {
            silos, siloPort, gatewayPort, ranges, withZooKeeper, zooKeeperPort, dashboardPort, noDashboard, respPort, noResp, tlsCertificate,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var n = parse.GetValue(silos);
            var first = parse.GetValue(siloPort);
            var gateway = parse.GetValue(gatewayPort);
            if (n is < 1 or > 16)
            {
                throw new CliUsageException("--silos must be between 1 and 16.");
            }

            if (first < 1 || first + n > 65536 || gateway < 1 || gateway + n > 65536 || (first < gateway + n && gateway < first + n))
            {
                throw new CliUsageException("--silo-port and --gateway-port ranges must be valid ports and must not overlap.");
            }

            int? resp = parse.GetValue(noResp) ? null : parse.GetValue(respPort);
            if (resp is { } rp && (rp < 1 || rp + n > 65536 || (rp < first + n && first < rp + n) || (rp < gateway + n && gateway < rp + n)))
            {
                throw new CliUsageException("--resp-port's range must be valid ports and must not overlap the silo and gateway ports.");
            }

            if (parse.GetValue(ranges) is { } r && r is < 1 or > 4096)
            {
                throw new CliUsageException("--ranges-per-silo must be between 1 and 4096.");
            }

            var zooKeeper = parse.GetValue(CliOptions.ZooKeeper);
            var startZooKeeper = parse.GetValue(withZooKeeper);
            if (startZooKeeper && zooKeeper is not null)
            {
                throw new CliUsageException("Give either --zookeeper (an ensemble that runs) or --with-zookeeper (start one), not both.");
            }

            if (zooKeeper is not null)
            {
                DiMint.ZooKeeper.ZooKeeperConnectionString.Parse(zooKeeper);
            }

            var zkPort = parse.GetValue(zooKeeperPort);
            if (zkPort is < 1 or > 65535)
            {
                throw new CliUsageException("--zookeeper-port must be a port number.");
            }

            var webPort = parse.GetValue(dashboardPort);
            if (webPort is < 0 or > 65535)
            {
                throw new CliUsageException("--dashboard-port must be a port number, or 0 for any free port.");
            }

            var authFile = parse.GetValue(CliOptions.ZooKeeperAuthFile);
            if (authFile is not null)
            {
                DiMint.ZooKeeper.ZooKeeperDigest.FromFile(authFile);
            }

            var tlsAuthority = parse.GetValue(CliOptions.TlsAuthority);
            var certificate = parse.GetValue(tlsCertificate);
            LocalClusterTls? tls = null;
            if (tlsAuthority is not null || certificate is not null)
            {
                if (tlsAuthority is null || certificate is null)
                {
                    throw new CliUsageException("TLS needs both --tls-authority (the CA) and --tls-certificate (the silos' certificate).");
                }

                tls = new LocalClusterTls(Path.GetFullPath(tlsAuthority), Path.GetFullPath(certificate));

                // Unreadable files, or a certificate without its key, fail here rather than in every silo.
                ClusterTls.Load(tls.AuthorityFile, tls.CertificateFile, Environment.GetEnvironmentVariable("DiMint__Security__TlsCertificatePassword"));
            }

            return await new LocalClusterRunner(Console.Out, Console.Error).RunAsync(
                n, first, gateway, parse.GetValue(ranges), zooKeeper, startZooKeeper ? zkPort : null, parse.GetValue(noDashboard) ? null : webPort, ct, authFile, tls, resp);
        }));
        return command;
    }
}
