using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DiMint.Client;
using DiMint.Resp.Commands;
using System.Threading.Channels;
using DiMint.Resp.Protocol;
using Microsoft.Extensions.Logging;

namespace DiMint.Resp;

/// <summary>Where and how a <see cref="RespServer"/> listens.</summary>
public sealed record RespServerOptions
{
    /// <summary>The address to listen on (a silo's: its silo port's).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port (0: any free one).</summary>
    public int Port { get; init; }

    /// <summary>The cluster's secret: clients must send it with AUTH (or HELLO ... AUTH) before anything else. Null: no AUTH needed.</summary>
    public ClusterSecret? Secret { get; init; }

    /// <summary>When set, connections run TLS with this certificate (clients show none; the secret says who they are).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The most connections open at once; more are closed as they come.</summary>
    public int MaxConnections { get; init; } = 10_000;
}

/// <summary>
/// A Redis-protocol (RESP2 and RESP3) port: <c>redis-cli</c>, <c>redis-benchmark</c> and any language's Redis client
/// talk to DiMint through it. Every silo can run one, and each serves every key: a command goes through a
/// <see cref="DimintClient"/> in the silo, which routes it to the key's master (proxy mode, as Codis and Twemproxy do), so
/// a plain Redis client needs one address.
/// </summary>
public sealed partial class RespServer : IAsyncDisposable
{
    /// <summary>The Redis version the port says it speaks (clients pick their commands by it).</summary>
    public const string RedisVersion = "7.2.0";

    /// <summary>How much a connection's replies may pile up before they are sent while more pipelined commands wait.</summary>
    private const int FlushAt = 64 * 1024;

    private readonly RespServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _started = Stopwatch.StartNew();
    private readonly HashSet<Stream> _open = [];
    private Socket? _listener;
    private Task? _accepting;
    private long _nextId;
    private long _refused;
    private long _commands;

    /// <summary>A port whose commands go through <paramref name="client"/>; it listens once <see cref="Start"/> is called.</summary>
    public RespServer(DimintClient client, RespServerOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        Client = client;
        _options = options;
        _logger = logger;
    }

    /// <summary>The client every command goes through.</summary>
    internal DimintClient Client { get; }

    internal ClusterSecret? Secret => _options.Secret;

    /// <summary>The port listened on (0 before <see cref="Start"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The address and port listened on (null before <see cref="Start"/>).</summary>
    public IPEndPoint? Endpoint { get; private set; }

    /// <summary>Connections open now.</summary>
    public int Connections
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Wrong passwords given since the port opened.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Commands run since the port opened.</summary>
    public long Commands => Interlocked.Read(ref _commands);

    internal TimeSpan Uptime => _started.Elapsed;

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Opens the port and starts accepting connections.</summary>
    /// <exception cref="InvalidOperationException">The port is taken.</exception>
    public void Start()
    {
        var socket = new Socket(_options.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_options.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(_options.Address, _options.Port));
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException($"The Redis-protocol port cannot listen on {_options.Address}:{_options.Port}: {ex.Message}. Set DiMint:Resp:Port to a free port, or 0.", ex);
        }

        _listener = socket;
        Endpoint = (IPEndPoint)socket.LocalEndPoint!;
        Port = Endpoint.Port;
        LogListening(_logger, Endpoint.ToString(), _options.Secret is null ? "no AUTH" : "AUTH with the cluster secret", _options.Certificate is null ? "plain text" : "TLS");
        _accepting = AcceptAsync(socket);
    }

    /// <summary>Closes the port and every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        lock (_open)
        {
            foreach (var stream in _open)
            {
                stream.Dispose();
            }
        }

        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex.Message);
                continue;
            }

            if (Connections >= _options.MaxConnections)
            {
                LogTooMany(_logger, _options.MaxConnections);
                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        var id = Interlocked.Increment(ref _nextId);
        lock (_open)
        {
            _open.Add(stream);
        }

        try
        {
            if (_options.Certificate is { } certificate)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                lock (_open)
                {
                    _open.Remove(stream);
                    _open.Add(tls);
                }

                stream = tls;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                handshake.CancelAfter(TimeSpan.FromSeconds(10));
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false }, handshake.Token).ConfigureAwait(false);
            }

            await ServeCommandsAsync(stream, new RespSession(this, id)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away, or the port is closing.
        }
        catch (Exception ex)
        {
            LogConnectionFailed(_logger, id, ex.ToString());
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(stream);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads commands and runs each as soon as it has arrived, without waiting for the commands before it unless they
    /// name one of its keys, so a pipelined or multiplexed client (StackExchange.Redis sends every caller's commands on
    /// one connection) has its commands batched like concurrent .NET callers; commands on one key take effect in the
    /// order sent. A command that changes the connection (AUTH, HELLO, QUIT ...), or names no key, waits for every
    /// command before it and runs alone. Replies go out in the commands' order (<see cref="WriteRepliesAsync"/>).
    /// </summary>
    private async Task ServeCommandsAsync(Stream stream, RespSession session)
    {
        var reader = new RespReader(stream, Math.Max(Client.Options.MaxValueBytes, Client.Options.MaxKeyBytes) + 1024);
        var replies = Channel.CreateUnbounded<Task<RespWriter>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var slots = new SemaphoreSlim(MaxPipelined);
        var writing = WriteRepliesAsync(stream, replies.Reader, slots);
        var lastByKey = new Dictionary<byte[], Task>(ByteArrayComparer.Instance);
        var running = new List<Task>();
        try
        {
            while (!writing.IsCompleted)
            {
                byte[][]? args;
                try
                {
                    args = await reader.ReadCommandAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (RespProtocolException ex)
                {
                    // The commands before the malformed one are answered first, as Redis does; then the connection closes.
                    var error = new RespWriter { Protocol = session.Protocol };
                    error.Error($"ERR Protocol error: {ex.Message}");
                    await slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                    replies.Writer.TryWrite(Task.FromResult(error));
                    return;
                }

                if (args is null)
                {
                    return;
                }

                Interlocked.Increment(ref _commands);
                await slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                if (session.KeysOf(args) is not { } keys)
                {
                    // Alone, in its place: what it changes (authentication, protocol, name) holds for every later command.
                    await Task.WhenAll(running).ConfigureAwait(false);
                    running.Clear();
                    lastByKey.Clear();
                    var alone = await RunAsync(session, args, []).ConfigureAwait(false);
                    replies.Writer.TryWrite(Task.FromResult(alone));
                    if (session.Closing)
                    {
                        return;
                    }

                    continue;
                }

                var named = keys.ToArray();
                var before = named.Select(k => lastByKey.GetValueOrDefault(k)).OfType<Task>().Where(t => !t.IsCompleted).Distinct().ToArray();
                var command = RunAsync(session, args, before);
                replies.Writer.TryWrite(command);
                foreach (var key in named)
                {
                    lastByKey[key] = command;
                }

                running.Add(command);
                if (running.Count >= MaxPipelined)
                {
                    running.RemoveAll(t => t.IsCompleted);
                    foreach (var done in lastByKey.Where(e => e.Value.IsCompleted).Select(e => e.Key).ToArray())
                    {
                        lastByKey.Remove(done);
                    }
                }
            }
        }
        finally
        {
            replies.Writer.TryComplete();
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The most commands read ahead of their replies (then reading waits for replies to go out).</summary>
    private const int MaxPipelined = 1024;

    /// <summary>Runs one command once the commands it must follow (<paramref name="after"/>) are done; answers its reply.</summary>
    private static async Task<RespWriter> RunAsync(RespSession session, byte[][] args, Task[] after)
    {
        if (after.Length > 0)
        {
            await Task.WhenAll(after).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var reply = new RespWriter { Protocol = session.Protocol };
        await session.ExecuteAsync(args, reply).ConfigureAwait(false);
        return reply;
    }

    /// <summary>
    /// Sends the replies in the commands' order: each as soon as it and those before it are done, several together when
    /// more are done already (a pipeline's replies leave in one write). Frees a slot of the read-ahead per reply sent.
    /// </summary>
    private async Task WriteRepliesAsync(Stream stream, ChannelReader<Task<RespWriter>> replies, SemaphoreSlim slots)
    {
        var buffer = new RespWriter(FlushAt);
        while (await replies.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
        {
            while (replies.TryRead(out var next))
            {
                buffer.Append(await next.ConfigureAwait(false));
                slots.Release();
                if (buffer.Length >= FlushAt || !replies.TryPeek(out var following) || !following.IsCompleted)
                {
                    await stream.WriteAsync(buffer.Written, _stop.Token).ConfigureAwait(false);
                    buffer.Clear();
                }
            }
        }
    }

    /// <summary>Keys compared by their bytes.</summary>
    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis-protocol port listening on {Endpoint} ({Auth}, {Transport})")]
    private static partial void LogListening(ILogger logger, string endpoint, string auth, string transport);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Redis-protocol port failed to accept a connection: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Redis-protocol port has {Max} connections open; a new one was closed")]
    private static partial void LogTooMany(ILogger logger, int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis-protocol connection {Id} failed: {Error}")]
    private static partial void LogConnectionFailed(ILogger logger, long id, string error);
}
