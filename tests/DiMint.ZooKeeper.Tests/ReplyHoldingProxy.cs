using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DiMint.ZooKeeper.Tests;

/// <summary>
/// A TCP proxy in front of one ZooKeeper server that can hold back the server's replies: after
/// <see cref="HoldReplies"/>, the connections open then pass the client's requests on but keep the server's frames
/// until <see cref="ReleaseRepliesAsync"/>, so a test knows the server answered while the client has heard nothing.
/// Connections opened later pass freely.
/// </summary>
internal sealed class ReplyHoldingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Task _accepting;
    private long _heldReplies;

    private ReplyHoldingProxy(string server)
    {
        var (host, port) = ZooKeeperConnectionString.Parse(server).Servers.Single();
        (_serverHost, _serverPort) = (host, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The connection string that reaches the server through the proxy.</summary>
    public string ConnectionString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Replies to requests (not pings) the server sent while held and the client has not been given.</summary>
    public long HeldReplies => Interlocked.Read(ref _heldReplies);

    /// <summary>Starts a proxy in front of <paramref name="server"/> (<c>host:port</c>).</summary>
    public static ReplyHoldingProxy Start(string server) => new(server);

    /// <summary>Holds the server's frames on every connection open now.</summary>
    public void HoldReplies()
    {
        foreach (var link in _links.Keys)
        {
            link.Holding = true;
        }
    }

    /// <summary>Gives the clients what was held, in order, and lets the server's frames through again.</summary>
    public async Task ReleaseRepliesAsync()
    {
        foreach (var link in _links.Keys)
        {
            await link.ReleaseAsync();
        }

        Interlocked.Exchange(ref _heldReplies, 0);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        foreach (var link in _links.Keys)
        {
            link.Close();
        }

        await _accepting;
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await server.ConnectAsync(_serverHost, _serverPort);
            }
            catch (SocketException)
            {
                server.Dispose();
                client.Dispose();
                continue;
            }

            var link = new Link(this, client, server);
            _links.TryAdd(link, 0);
            link.Start();
        }
    }

    /// <summary>One client connection and its connection to the server.</summary>
    private sealed class Link(ReplyHoldingProxy owner, Socket client, Socket server)
    {
        private readonly NetworkStream _client = new(client, ownsSocket: true);
        private readonly NetworkStream _server = new(server, ownsSocket: true);
        private readonly SemaphoreSlim _toClient = new(1, 1);
        private readonly List<byte[]> _held = [];
        private volatile bool _holding;

        /// <summary>Whether the server's frames are kept from the client.</summary>
        public bool Holding
        {
            get => _holding;
            set => _holding = value;
        }

        public void Start()
        {
            _ = PumpAsync(RequestsAsync);
            _ = PumpAsync(RepliesAsync);
        }

        public async Task ReleaseAsync()
        {
            await _toClient.WaitAsync();
            try
            {
                Holding = false;
                foreach (var frame in _held)
                {
                    await _client.WriteAsync(frame);
                }

                _held.Clear();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The client went away; nothing to give it.
            }
            finally
            {
                _toClient.Release();
            }
        }

        public void Close()
        {
            _client.Dispose();
            _server.Dispose();
            owner._links.TryRemove(this, out _);
        }

        /// <summary>Runs one direction until either side closes, then closes both, as a broken connection would.</summary>
        private async Task PumpAsync(Func<Task> pump)
        {
            try
            {
                await pump();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
            {
                // Either side closed.
            }
            finally
            {
                Close();
            }
        }

        private Task RequestsAsync() => _client.CopyToAsync(_server);

        private async Task RepliesAsync()
        {
            var header = new byte[4];
            while (true)
            {
                await _server.ReadExactlyAsync(header);
                var frame = new byte[4 + BinaryPrimitives.ReadInt32BigEndian(header)];
                header.CopyTo(frame, 0);
                await _server.ReadExactlyAsync(frame.AsMemory(4));
                await _toClient.WaitAsync();
                try
                {
                    if (Holding)
                    {
                        _held.Add(frame);

                        // A reply starts with its request's xid; pings and notifications have negative ones.
                        if (frame.Length >= 8 && BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)) > 0)
                        {
                            Interlocked.Increment(ref owner._heldReplies);
                        }
                    }
                    else
                    {
                        await _client.WriteAsync(frame);
                    }
                }
                finally
                {
                    _toClient.Release();
                }
            }
        }
    }
}
