using System.Globalization;

namespace DiMint.Dashboard.Hosting;

/// <summary>Parses the dashboard's command line.</summary>
public static class DashboardCommandLine
{
    /// <summary>The text <c>--help</c> prints.</summary>
    public const string Usage = """
        Usage: dotnet DiMint.Dashboard.dll [options]   (or: dotnet run --project Dashboard -- [options])

        The DiMint dashboard: a live cluster page, a web test client, the Orleans Dashboard under /orleans,
        a JSON API under /api and Prometheus metrics at /metrics.

        Options:
          --gateway HOST:PORT         A silo gateway; repeat for more. Default 127.0.0.1:30000.
          --zookeeper HOST:PORT,...   Find the gateways through ZooKeeper membership instead.
          --cluster-id ID             The Orleans cluster id. Default dimint.
          --service-id ID             The Orleans service id. Default dimint.
          --zookeeper-auth-file FILE  With --zookeeper: a file holding user:password for ZooKeeper's digest
                                      scheme, when the cluster's znodes are protected by one.
          --tls-authority FILE        The CA (PEM) of a cluster whose silos run TLS: connect over TLS.
          --secret-file FILE          The file holding the cluster's secret, when the cluster has one
                                      (dimint up passes its own).
          --host ADDRESS              The address to listen on. Default 127.0.0.1; 0.0.0.0 exposes the dashboard,
                                      which then needs --admin-token and asks it for every page and API call
                                      (a browser opens /?token=TOKEN once and keeps it in a cookie).
          --port PORT                 The port to listen on (0 picks a free one). Default 8080.
          --urls URLS                 ASP.NET Core URLs to listen on; replaces --host and --port.
          --admin-token TOKEN         Enables writes (the test client's Set and Delete, PUT/POST/DELETE /api/kv)
                                      and admin actions (split) for requests carrying this token in the
                                      X-DiMint-Admin-Token header (the page takes it from its field, or from
                                      #token=TOKEN in its URL). Also DIMINT_DASHBOARD_ADMIN_TOKEN.
                                      Default: none, and the dashboard only reads.
          --refresh-ms MS             How often the cluster is sampled. Default 1000.
          --parent-pid PID            Stop when that process exits.
          -h, --help                  Show this text.
        """;

    /// <summary>Parses <paramref name="args"/>; returns an error message instead of options when they are not valid.</summary>
    public static (DashboardHostOptions? Options, string? Error) Parse(IReadOnlyList<string> args, string? adminTokenFromEnvironment = null)
    {
        var options = new DashboardHostOptions { AdminToken = string.IsNullOrEmpty(adminTokenFromEnvironment) ? null : adminTokenFromEnvironment };
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is > 2 and var eq)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Next()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{arg} needs a value.");
                }

                return args[++i];
            }

            try
            {
                switch (arg)
                {
                    case "--gateway":
                        var gateway = Next();
                        HostPort.Parse(gateway);
                        options.Gateways.Add(gateway);
                        break;
                    case "--zookeeper":
                        options.ZooKeeper = NonEmpty(arg, Next());
                        break;
                    case "--tls-authority":
                        options.TlsAuthorityFile = NonEmpty(arg, Next());
                        break;
                    case "--zookeeper-auth-file":
                        options.ZooKeeperAuthFile = NonEmpty(arg, Next());
                        break;
                    case "--secret-file":
                        options.ClusterSecretFile = NonEmpty(arg, Next());
                        break;
                    case "--cluster-id":
                        options.ClusterId = NonEmpty(arg, Next());
                        break;
                    case "--service-id":
                        options.ServiceId = NonEmpty(arg, Next());
                        break;
                    case "--host":
                        options.Host = NonEmpty(arg, Next());
                        break;
                    case "--port":
                        options.Port = Int(arg, Next(), 0, 65535);
                        break;
                    case "--urls":
                        options.Urls = NonEmpty(arg, Next());
                        break;
                    case "--admin-token":
                        options.AdminToken = NonEmpty(arg, Next());
                        break;
                    case "--refresh-ms":
                        options.RefreshInterval = TimeSpan.FromMilliseconds(Int(arg, Next(), 100, 60_000));
                        break;
                    case "--parent-pid":
                        options.ParentProcessId = Int(arg, Next(), 1, int.MaxValue);
                        break;
                    default:
                        return (null, $"Unknown option '{args[i]}'.");
                }
            }
            catch (FormatException ex)
            {
                return (null, ex.Message);
            }
        }

        if (options.Gateways.Count > 0 && options.ZooKeeper is not null)
        {
            return (null, "Give either --gateway or --zookeeper, not both.");
        }

        if (options.AdminToken is null && TokenGate.ExposedBeyondLoopback(options))
        {
            return (null, $"Listening beyond this machine ({options.ListenUrls}) needs --admin-token: every page and API call then needs it.");
        }

        if (options.Gateways.Count == 0 && options.ZooKeeper is null)
        {
            options.Gateways.Add("127.0.0.1:30000");
        }

        return (options, null);
    }

    private static string NonEmpty(string option, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException($"{option} needs a value.") : value;

    private static int Int(string option, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"{option} takes a number from {min} to {max}, not '{value}'.");
}
