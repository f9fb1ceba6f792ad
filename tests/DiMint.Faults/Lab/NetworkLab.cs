using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DiMint.Testing;

namespace DiMint.Faults.Lab;

/// <summary>
/// Several hosts on one machine: each host is a Linux network namespace with its own address on a /24, joined to the
/// others by a veth pair on one bridge (in a namespace of its own, <c>forward_delay 0</c>). The process that builds the
/// lab reaches every host through one more veth on the bridge (address .254). Links are cut and healed with blackhole
/// routes inside the hosts: a cut host drops every packet for the other side (a new connection fails at once, an open one
/// hears nothing more), the way a partitioned network looks from inside. Needs root and iproute2; nothing else.
/// </summary>
/// <remarks>
/// Namespaces are named <c>dmf{owner pid in hex}-{host}</c>: a lab left behind by a killed test run is deleted by the
/// next one, once its owner is gone.
/// </remarks>
public sealed class NetworkLab : IDisposable
{
    private const string Prefix = "dmf";
    private readonly string _id;
    private readonly string _bridgeNamespace;
    private readonly List<LabHost> _hosts = [];
    private readonly HashSet<(LabHost Host, LabHost Peer)> _cuts = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    private NetworkLab(string id, int subnet)
    {
        _id = id;
        Subnet = subnet;
        _bridgeNamespace = $"{Prefix}{id}-net";
        OrchestratorAddress = Address(254);
    }

    /// <summary>The third octet of the lab's network, 10.77.<i>Subnet</i>.0/24.</summary>
    public int Subnet { get; }

    /// <summary>The address the building process has on the lab's network.</summary>
    public IPAddress OrchestratorAddress { get; }

    /// <summary>The hosts, in the order they were added.</summary>
    public IReadOnlyList<LabHost> Hosts
    {
        get
        {
            lock (_lock)
            {
                return [.. _hosts];
            }
        }
    }

    /// <summary>Builds the bridge and the orchestrator's link. Deletes labs whose owner process is gone first.</summary>
    public static NetworkLab Create()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            throw new InvalidOperationException(
                "The fault harness builds network namespaces and needs root on Linux with iproute2 (see tests/DiMint.Faults/README.md).");
        }

        DeleteAbandoned();
        var id = Environment.ProcessId.ToString("x6", CultureInfo.InvariantCulture);
        var used = Shell.Run("ip", ["-4", "-o", "addr", "show"]);
        var subnet = Enumerable.Range(1, 250).Select(i => (Environment.ProcessId + i) % 250 + 1)
            .First(s => !used.Contains($"10.77.{s}.", StringComparison.Ordinal));
        var lab = new NetworkLab(id, subnet);
        try
        {
            lab.Build();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>The address of host number <paramref name="index"/> (1..253) on the lab's network.</summary>
    public IPAddress Address(int index) => IPAddress.Parse($"10.77.{Subnet}.{index}");

    /// <summary>Adds a host (its namespace, its link to the bridge, its address) and waits until it reaches the orchestrator.</summary>
    public async Task<LabHost> AddHostAsync(string name)
    {
        int index;
        lock (_lock)
        {
            index = _hosts.Count + 1;
        }

        var host = new LabHost(name, $"{Prefix}{_id}-{name}", Address(index), index);
        var outside = $"f{_id}{index:x2}a";
        var inside = $"f{_id}{index:x2}b";
        Shell.Run("ip", ["netns", "add", host.Namespace]);
        lock (_lock)
        {
            _hosts.Add(host);
        }

        Shell.Run("ip", ["link", "add", inside, "type", "veth", "peer", "name", outside]);
        Shell.Run("ip", ["link", "set", inside, "netns", host.Namespace]);
        Shell.Run("ip", ["link", "set", outside, "netns", _bridgeNamespace]);
        Shell.Run("ip", ["-n", _bridgeNamespace, "-batch", "-"], $"link set {outside} master br0\nlink set {outside} up\n");
        Shell.Run("ip", ["-n", host.Namespace, "-batch", "-"], $"addr add {host.Address}/24 dev {inside}\nlink set {inside} up\nlink set lo up\n");
        await WaitUntilConnectedAsync(host);
        return host;
    }

    /// <summary>
    /// Cuts every link between a host of <paramref name="side"/> and a host of <paramref name="other"/>, both ways. Links
    /// already cut stay cut; hosts on neither side keep every link.
    /// </summary>
    public void Cut(IEnumerable<LabHost> side, IEnumerable<LabHost> other)
    {
        var others = other.ToArray();
        foreach (var host in side)
        {
            foreach (var peer in others.Where(p => p != host))
            {
                CutOneWay(host, peer);
                CutOneWay(peer, host);
            }
        }
    }

    /// <summary>Cuts <paramref name="host"/> off from every other host.</summary>
    public void Isolate(LabHost host) => Cut([host], Hosts.Where(h => h != host));

    /// <summary>Restores every cut link; false when none was cut.</summary>
    public bool HealAll()
    {
        (LabHost Host, LabHost Peer)[] cuts;
        lock (_lock)
        {
            cuts = [.. _cuts];
            _cuts.Clear();
        }

        foreach (var group in cuts.GroupBy(c => c.Host))
        {
            var commands = string.Concat(group.Select(c => $"route del blackhole {c.Peer.Address}/32\n"));
            Shell.Run("ip", ["-n", group.Key.Namespace, "-batch", "-"], commands);
        }

        return cuts.Length > 0;
    }

    /// <summary>Whether the link from <paramref name="host"/> to <paramref name="peer"/> is cut.</summary>
    public bool IsCut(LabHost host, LabHost peer)
    {
        lock (_lock)
        {
            return _cuts.Contains((host, peer));
        }
    }

    /// <summary>Deletes every namespace of the lab (their processes lose their network; the caller kills them).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var host in Hosts)
        {
            Shell.TryRun("ip", ["netns", "del", host.Namespace]);
        }

        Shell.TryRun("ip", ["netns", "del", _bridgeNamespace]);
    }

    private void Build()
    {
        Shell.Run("ip", ["netns", "add", _bridgeNamespace]);
        Shell.Run("ip", ["-n", _bridgeNamespace, "-batch", "-"], "link add br0 type bridge forward_delay 0 stp_state 0\nlink set br0 up\nlink set lo up\n");
        var outside = $"f{_id}00a";
        var inside = $"f{_id}00b";
        Shell.Run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
        Shell.Run("ip", ["link", "set", inside, "netns", _bridgeNamespace]);
        Shell.Run("ip", ["-n", _bridgeNamespace, "-batch", "-"], $"link set {inside} master br0\nlink set {inside} up\n");
        Shell.Run("ip", ["-batch", "-"], $"addr add {OrchestratorAddress}/24 dev {outside}\nlink set {outside} up\n");
    }

    private void CutOneWay(LabHost host, LabHost peer)
    {
        lock (_lock)
        {
            if (!_cuts.Add((host, peer)))
            {
                return;
            }
        }

        Shell.Run("ip", ["-n", host.Namespace, "route", "add", "blackhole", $"{peer.Address}/32"]);
    }

    /// <summary>
    /// Waits until <paramref name="host"/> opens a TCP connection to the orchestrator: a bridge port may take a moment to
    /// forward, and a silo started before that would fail to join.
    /// </summary>
    private async Task WaitUntilConnectedAsync(LabHost host)
    {
        using var listener = new TcpListener(OrchestratorAddress, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await Wait.UntilAsync(
            () => Shell.TryRun("ip", ["netns", "exec", host.Namespace, "bash", "-c", $"exec 3<>/dev/tcp/{OrchestratorAddress}/{port}"]).ExitCode == 0,
            TimeSpan.FromSeconds(20),
            $"host {host.Name} ({host.Address}) reaching {OrchestratorAddress}",
            poll: TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Deletes the namespaces of labs whose owner process no longer runs.</summary>
    private static void DeleteAbandoned()
    {
        var (_, list, _) = Shell.TryRun("ip", ["netns", "list"]);
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || dash < 0)
            {
                continue;
            }

            if (int.TryParse(name.AsSpan(Prefix.Length, dash - Prefix.Length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var owner)
                && !Directory.Exists($"/proc/{owner}"))
            {
                Shell.TryRun("ip", ["netns", "del", name]);
            }
        }
    }
}
