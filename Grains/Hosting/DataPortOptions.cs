namespace DiMint.Grains.Hosting;

/// <summary>The silo's data port (section <c>DiMint:DataPort</c>): where clients send batches without Orleans' messaging around them.</summary>
public sealed class DataPortOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:DataPort";

    /// <summary>Whether the silo opens a data port. Without one, clients send every batch as an Orleans call. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The TCP port to listen on, on all of the host's addresses. 0 (the default) lets the operating system choose a free
    /// one; clients learn it from the silo (<see cref="ISiloBatchService.GetDataPortAsync"/>), so only a firewall needs
    /// a fixed port.
    /// </summary>
    public int Port { get; set; }
}
