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

    /// <summary>The most connections the port keeps open at once (handshakes included); more are closed at once. Default 4096.</summary>
    public int MaxConnections { get; set; } = 4096;

    /// <summary>
    /// The most connections one address may hold open at once; more are closed at once. A client or silo needs one per
    /// silo. Default 1024.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 1024;

    /// <summary>
    /// The most requests one connection may have waiting for their answers. A peer that sends more without waiting is cut
    /// off (its requests fail, and a client retries them elsewhere): DiMint's own clients send one batch per silo at a
    /// time. Default 1024.
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = 1024;

    /// <summary>
    /// The most bytes of answers one connection may leave unread (its peer sends requests faster than it reads their
    /// answers) before it is cut off; a peer that reads nothing for 30 s is cut off too. Default 256 MiB, two of the
    /// largest frames: DiMint's own clients read every answer as it comes.
    /// </summary>
    public long MaxUnreadBytes { get; set; } = FramedSocket.DefaultMaxQueuedBytes;
}
