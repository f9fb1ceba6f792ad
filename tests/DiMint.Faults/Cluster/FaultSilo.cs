using System.Globalization;
using DiMint.Faults.Lab;
using DiMint.Testing.Processes;

namespace DiMint.Faults.Cluster;

/// <summary>One silo host of a <see cref="FaultCluster"/>: its lab host and, while it runs, its process.</summary>
public sealed class FaultSilo(LabHost host, string logFile)
{
    /// <summary>The port every silo listens on for other silos (each has its own address).</summary>
    public const int SiloPort = 11111;

    /// <summary>The port every silo listens on for clients.</summary>
    public const int GatewayPort = 30000;

    public LabHost Host { get; } = host;

    public string LogFile { get; } = logFile;

    /// <summary>The running process, or null after a kill.</summary>
    public DotnetProcess? Process { get; internal set; }

    /// <summary>Whether it was stopped with SIGSTOP and not resumed.</summary>
    public bool Paused { get; internal set; }

    /// <summary>The silo's endpoint as Orleans names it (any generation).</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"{Host.Address}:{SiloPort}");

    /// <summary>Whether <paramref name="silo"/> (a ring or membership address) is this host's silo, of any generation.</summary>
    public bool Is(SiloAddress silo) => silo.Endpoint.Address.Equals(Host.Address) && silo.Endpoint.Port == SiloPort;

    public override string ToString() => Host.Name;
}
