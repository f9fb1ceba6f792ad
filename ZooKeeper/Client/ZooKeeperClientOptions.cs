namespace DiMint.ZooKeeper;

/// <summary>Settings of a <see cref="ZooKeeperClient"/>.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>The largest request frame ZooKeeper accepts by default (jute.maxbuffer = 0xfffff).</summary>
    public const int DefaultMaxFrameLength = 1048575;

    /// <summary>The servers and optional chroot: <c>host:port,host:port/chroot</c>. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The session timeout asked of the server (default 10 s). The server clamps it to its
    /// [minSessionTimeout, maxSessionTimeout]; <see cref="ZooKeeperClient.SessionTimeout"/> is the negotiated value.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long <see cref="ZooKeeperClient.ConnectAsync(ZooKeeperClientOptions, Microsoft.Extensions.Logging.ILogger?, CancellationToken)"/>
    /// waits for the first connection, and how long a request waits for a reconnection before failing with
    /// <see cref="ConnectionLossException"/> (default 15 s).
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The largest request frame the client sends (default <see cref="DefaultMaxFrameLength"/>, the server's default
    /// jute.maxbuffer). Larger requests fail with <see cref="RequestTooLargeException"/> before anything is sent.
    /// </summary>
    public int MaxFrameLength { get; set; } = DefaultMaxFrameLength;

    /// <summary>
    /// <c>user:password</c> for ZooKeeper's digest scheme, or null. When set, every connection authenticates with it,
    /// and every node this client creates (the chroot's too) gets an ACL that lets only that user in: all permissions
    /// for <c>digest:user:base64(sha1(user:password))</c>, nothing for anyone else. Null: nodes are open
    /// (<c>world:anyone</c>).
    /// </summary>
    public string? Digest { get; set; }

    /// <summary>Whether the server list is shuffled once so that clients spread over the ensemble (default true).</summary>
    public bool ShuffleServers { get; set; } = true;

    /// <summary>An existing session to resume (with <see cref="SessionPassword"/>); 0 starts a new session.</summary>
    public long SessionId { get; set; }

    /// <summary>The password of the session named by <see cref="SessionId"/>.</summary>
    public byte[]? SessionPassword { get; set; }

    /// <summary>The clock used for pings and timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
