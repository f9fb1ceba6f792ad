using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DiMint.ZooKeeper.Protocol;

/// <summary>
/// One TCP connection to one server: frames out under a write lock, replies matched in order against the queue of
/// sent requests, pings when idle, and a read timeout. When it fails, every request still waiting fails at once with
/// <see cref="ConnectionLossException"/> (or the exception passed to <see cref="Fail"/>); nothing is replayed.
/// </summary>
internal sealed partial class ZooKeeperConnection : IAsyncDisposable
{
    // Replies (getChildren of a large node, getData of a big value) may exceed the request limit; bound them anyway.
    private const int MaxReplyLength = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<PendingRequest> _pending = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Exception? _failure;
    private long _lastSend;
    private long _lastReceive;

    private ZooKeeperConnection(Socket socket, string server, TimeProvider time, ILogger logger)
    {
        Failed = static _ => { };
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Server = server;
        _time = time;
        _logger = logger;
        _lastSend = _lastReceive = time.GetTimestamp();
    }

    /// <summary>Called once, synchronously, when the connection fails, before waiting requests are failed.</summary>
    public Action<ZooKeeperConnection> Failed { get; set; }

    /// <summary>The server this connection talks to, as <c>host:port</c>.</summary>
    public string Server { get; }

    public bool IsFailed
    {
        get
        {
            lock (_gate)
            {
                return _failure is not null;
            }
        }
    }

    public static async Task<ZooKeeperConnection> OpenAsync(
        string host, int port, TimeSpan timeout, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            await socket.ConnectAsync(host, port, timeoutSource.Token).ConfigureAwait(false);
            return new ZooKeeperConnection(socket, $"{host}:{port}", time, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends ConnectRequest and reads ConnectResponse.</summary>
    public async Task<ConnectResponse> HandshakeAsync(
        long lastZxidSeen, int timeoutMs, long sessionId, byte[] password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new JuteWriter(64);
        request.WriteInt(0); // protocolVersion
        request.WriteLong(lastZxidSeen);
        request.WriteInt(timeoutMs);
        request.WriteLong(sessionId);
        request.WriteBuffer(password);
        request.WriteBool(false); // readOnly: this client never accepts a read-only server
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        await _stream.WriteAsync(request.ToFrame(), timeoutSource.Token).ConfigureAwait(false);
        var frame = await ReadFrameAsync(timeoutSource.Token).ConfigureAwait(false);
        return ParseConnectResponse(frame);
    }

    /// <summary>Reads replies and pings while idle until the connection fails or is cancelled.</summary>
    public async Task RunAsync(TimeSpan sessionTimeout, Action<long> onZxid, CancellationToken cancellationToken)
    {
        var readLoop = ReadLoopAsync(onZxid);
        var pingInterval = sessionTimeout / 3;
        var readTimeout = sessionTimeout * 2 / 3;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(sessionTimeout.TotalMilliseconds / 10, 20, 1000));
        try
        {
            while (!readLoop.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                var delay = Task.Delay(tick, _time, cancellationToken);
                await Task.WhenAny(readLoop, delay).ConfigureAwait(false);
                if (readLoop.IsCompleted || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // Dead only when something we sent is still unanswered: a loop that woke up late (a busy machine)
                // must not mistake its own delay for a silent server.
                var lastReceive = Interlocked.Read(ref _lastReceive);
                var lastSend = Interlocked.Read(ref _lastSend);
                if (lastSend > lastReceive
                    && _time.GetElapsedTime(lastReceive) > readTimeout
                    && _time.GetElapsedTime(lastSend) > readTimeout / 2)
                {
                    LogReadTimeout(_logger, Server, readTimeout);
                    Fail(new ConnectionLossException($"No answer from ZooKeeper server {Server} within {readTimeout}."));
                    break;
                }

                if (_time.GetElapsedTime(Interlocked.Read(ref _lastSend)) >= pingInterval)
                {
                    await TrySendPingAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Fail(new ConnectionLossException($"The connection to ZooKeeper server {Server} was closed."));
            await readLoop.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Assigns the next xid, queues the request and writes it. The returned task completes with the matching reply,
    /// or fails with <see cref="ConnectionLossException"/> if the connection breaks first.
    /// </summary>
    public async Task<ZooKeeperReply> SendAsync(JuteWriter request, int opCode, Func<int> nextXid, CancellationToken cancellationToken)
    {
        PendingRequest pending;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_failure is not null)
                {
                    // Nothing was written: the caller may safely send it on the next connection.
                    throw new ConnectionNotUsableException();
                }

                // Xids are assigned under the write lock so that the queue order is the wire order.
                var xid = nextXid();
                request.PatchInt(0, xid);
                pending = new PendingRequest(xid, opCode);
                _pending.Enqueue(pending);
            }

            try
            {
                // Never cancel in the middle of a frame: the stream would be corrupt for every other request.
                await _stream.WriteAsync(request.ToFrame(), CancellationToken.None).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastSend, _time.GetTimestamp());
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new ConnectionLossException($"Sending to ZooKeeper server {Server} failed.", e));
            }
        }
        finally
        {
            _writeLock.Release();
        }

        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the socket and fails every waiting request with <paramref name="reason"/>. Idempotent.</summary>
    public void Fail(Exception reason)
    {
        PendingRequest[] waiting;
        lock (_gate)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = reason;
            waiting = [.. _pending];
            _pending.Clear();
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer.
        }

        _stream.Dispose();
        Failed(this);
        var exception = reason as ZooKeeperException ?? new ConnectionLossException(reason.Message, reason);
        foreach (var request in waiting)
        {
            request.Completion.TrySetException(exception);
        }
    }

    public ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(ZooKeeperConnection)));
        return ValueTask.CompletedTask;
    }

    private static ConnectResponse ParseConnectResponse(byte[] frame)
    {
        var reader = new JuteReader(frame);
        var protocolVersion = reader.ReadInt();
        var timeoutMs = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var password = reader.ReadBuffer() ?? [];
        return new ConnectResponse(protocolVersion, timeoutMs, sessionId, password);
    }

    private static (int Xid, long Zxid, int Err, int BodyOffset) ParseReplyHeader(byte[] frame)
    {
        var reader = new JuteReader(frame);
        var xid = reader.ReadInt();
        var zxid = reader.ReadLong();
        var err = reader.ReadInt();
        return (xid, zxid, err, reader.Position);
    }

    private async Task ReadLoopAsync(Action<long> onZxid)
    {
        try
        {
            while (true)
            {
                var frame = await ReadFrameAsync(CancellationToken.None).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastReceive, _time.GetTimestamp());
                var (xid, zxid, err, bodyOffset) = ParseReplyHeader(frame);
                switch (xid)
                {
                    case SpecialXid.Ping:
                    case SpecialXid.SetWatches:
                        continue;
                    case SpecialXid.Notification:
                        // No watches are set by this client; a stray event is ignored.
                        LogIgnoredNotification(_logger, Server);
                        continue;
                    case SpecialXid.Auth:
                        if (err != 0)
                        {
                            throw new ZooKeeperException(ZooKeeperErrorCode.AuthFailed);
                        }

                        continue;
                }

                PendingRequest? pending;
                lock (_gate)
                {
                    _pending.TryDequeue(out pending);
                }

                if (pending is null || pending.Xid != xid)
                {
                    var protocolError = new ZooKeeperProtocolException(
                        $"Reply xid {xid} from {Server} does not match the oldest request xid {pending?.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}.");
                    pending?.Completion.TrySetException(new ConnectionLossException(protocolError.Message, protocolError));
                    throw protocolError;
                }

                if (zxid > 0)
                {
                    onZxid(zxid);
                }

                pending.Completion.TrySetResult(new ZooKeeperReply(err, zxid, frame, bodyOffset));
            }
        }
        catch (Exception e)
        {
            if (!IsFailed)
            {
                LogConnectionBroken(_logger, Server, e.Message);
            }

            Fail(e is ZooKeeperException ? e : new ConnectionLossException($"The connection to ZooKeeper server {Server} broke: {e.Message}", e));
        }
    }

    /// <summary>
    /// Adds <paramref name="auth"/> under <paramref name="scheme"/> to the session on this connection (ZooKeeper's
    /// <c>addauth</c>), before any request: the server handles a connection's packets in order. A refusal comes back as
    /// an <see cref="SpecialXid.Auth"/> reply with an error, which fails the connection with
    /// <see cref="ZooKeeperErrorCode.AuthFailed"/>.
    /// </summary>
    public async Task SendAuthAsync(string scheme, byte[] auth, CancellationToken cancellationToken)
    {
        var packet = new JuteWriter(32 + auth.Length);
        packet.WriteInt(SpecialXid.Auth);
        packet.WriteInt(OpCode.Auth);
        packet.WriteInt(0);
        packet.WriteString(scheme);
        packet.WriteBuffer(auth);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(packet.ToFrame(), CancellationToken.None).ConfigureAwait(false);
            Interlocked.Exchange(ref _lastSend, _time.GetTimestamp());
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task TrySendPingAsync()
    {
        // A write in progress already shows the server we are alive; skip the ping rather than wait.
        if (!_writeLock.Wait(0))
        {
            return;
        }

        try
        {
            var ping = new JuteWriter(16);
            ping.WriteInt(SpecialXid.Ping);
            ping.WriteInt(OpCode.Ping);
            await _stream.WriteAsync(ping.ToFrame(), CancellationToken.None).ConfigureAwait(false);
            Interlocked.Exchange(ref _lastSend, _time.GetTimestamp());
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail(new ConnectionLossException($"Pinging ZooKeeper server {Server} failed.", e));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<byte[]> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0 || length > MaxReplyLength)
        {
            throw new ZooKeeperProtocolException($"Invalid reply length {length} from {Server}.");
        }

        var frame = new byte[length];
        await _stream.ReadExactlyAsync(frame, cancellationToken).ConfigureAwait(false);
        return frame;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No reply from ZooKeeper server {Server} within {ReadTimeout}; dropping the connection")]
    private static partial void LogReadTimeout(ILogger logger, string server, TimeSpan readTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to ZooKeeper server {Server} broke: {Reason}")]
    private static partial void LogConnectionBroken(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a watch notification from ZooKeeper server {Server}")]
    private static partial void LogIgnoredNotification(ILogger logger, string server);

    private sealed class PendingRequest(int xid, int opCode)
    {
        public int Xid { get; } = xid;

        public int OpCode { get; } = opCode;

        public TaskCompletionSource<ZooKeeperReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
