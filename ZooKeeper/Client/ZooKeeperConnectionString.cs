using System.Globalization;

namespace DiMint.ZooKeeper;

/// <summary>
/// A parsed ZooKeeper connection string: <c>host:port,host:port/chroot</c> (port 2181 when omitted, IPv6 hosts in
/// brackets, optional chroot applied to every path the client sends).
/// </summary>
public sealed class ZooKeeperConnectionString
{
    /// <summary>The default ZooKeeper client port.</summary>
    public const int DefaultPort = 2181;

    private ZooKeeperConnectionString(IReadOnlyList<(string Host, int Port)> servers, string? chroot)
    {
        Servers = servers;
        Chroot = chroot;
    }

    /// <summary>The servers, in the order given.</summary>
    public IReadOnlyList<(string Host, int Port)> Servers { get; }

    /// <summary>The chroot (for example <c>/dimint</c>), or null when paths are absolute.</summary>
    public string? Chroot { get; }

    /// <summary>Parses <paramref name="connectionString"/>; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static ZooKeeperConnectionString Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var text = connectionString.Trim();
        string? chroot = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = text[slash..];
            text = text[..slash];
            if (chroot == "/")
            {
                chroot = null;
            }
            else
            {
                try
                {
                    ZooKeeperPath.Validate(chroot);
                }
                catch (ArgumentException e)
                {
                    throw new FormatException($"Invalid chroot in ZooKeeper connection string '{connectionString}': {e.Message}", e);
                }
            }
        }

        var servers = new List<(string, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            servers.Add(ParseServer(part, connectionString));
        }

        if (servers.Count == 0)
        {
            throw new FormatException($"The ZooKeeper connection string '{connectionString}' names no server.");
        }

        return new ZooKeeperConnectionString(servers, chroot);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(',', Servers.Select(s => s.Host.Contains(':', StringComparison.Ordinal) ? $"[{s.Host}]:{s.Port}" : $"{s.Host}:{s.Port}")) + Chroot;

    private static (string Host, int Port) ParseServer(string part, string connectionString)
    {
        string host;
        string? port = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Unclosed '[' in ZooKeeper connection string '{connectionString}'.");
            }

            host = part[1..close];
            var rest = part[(close + 1)..];
            if (rest.Length > 0)
            {
                port = rest.StartsWith(':') ? rest[1..] : throw new FormatException($"Invalid server '{part}' in '{connectionString}'.");
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon < 0 ? part : part[..colon];
            port = colon < 0 ? null : part[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"Empty host in ZooKeeper connection string '{connectionString}'.");
        }

        var portNumber = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            throw new FormatException($"Invalid port '{port}' in ZooKeeper connection string '{connectionString}'.");
        }

        return (host, portNumber);
    }
}
