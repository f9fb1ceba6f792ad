namespace DiMint.Silo.Hosting;

/// <summary>Where the silo listens and which cluster it joins (section <c>DiMint:Silo</c>).</summary>
public sealed class SiloHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Silo";

    /// <summary>The port silos talk to each other on. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port clients connect to. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The primary silo (<c>host:port</c> of its silo port) that holds the membership table in the embedded,
    /// localhost clustering. Default <c>127.0.0.1:11111</c>: a silo on that port is the primary itself.
    /// </summary>
    public string PrimarySiloEndpoint { get; set; } = "127.0.0.1:11111";

    /// <summary>The Orleans cluster id. Default <c>dimint</c>.</summary>
    public string ClusterId { get; set; } = "dimint";

    /// <summary>The Orleans service id. Default <c>dimint</c>.</summary>
    public string ServiceId { get; set; } = "dimint";

    /// <summary>The IP address other silos and clients reach this silo at. Default 127.0.0.1.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The IP address the silo port, the gateway and the data port listen on: null (the default) for the advertised
    /// address; <c>0.0.0.0</c> or <c>::</c> for every address of the host (behind NAT, where the advertised address is
    /// not the host's own).
    /// </summary>
    public string? ListenAddress { get; set; }

    /// <summary>
    /// Without ZooKeeper: the folder, shared by every silo of the cluster, where the ring is kept in files; null keeps it
    /// in Orleans' in-memory storage, lost with the silo that holds it. <c>dimint up</c> sets it.
    /// </summary>
    public string? RingDirectory { get; set; }

    /// <summary>
    /// The port of the silo's Redis-protocol listener (<c>redis-cli</c>, any Redis client), on the address its other ports
    /// listen on; 0 for any free port; null (the default) for none. <c>dimint up</c> turns it on.
    /// </summary>
    public int? RespPort { get; set; }

    /// <summary>When set, the silo stops when this process exits (<c>dimint up</c> sets it to itself).</summary>
    public int? ParentProcessId { get; set; }
}
