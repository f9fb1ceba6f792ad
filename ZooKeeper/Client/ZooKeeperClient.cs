using DiMint.ZooKeeper.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DiMint.ZooKeeper;

/// <summary>
/// An async, thread-safe ZooKeeper client holding one session over the ZooKeeper 3.x wire protocol.
/// </summary>
/// <remarks>
/// Requests are pipelined on one connection and answered in order. When the connection is lost, requests in flight
/// fail with <see cref="ConnectionLossException"/> (they are not replayed: they may or may not have been applied) and
/// the client reconnects to the next server with the same session; new requests wait for that reconnection. When the
/// server reports the session expired, the client moves to <see cref="ZooKeeperState.Expired"/>, every request fails
/// with <see cref="SessionExpiredException"/>, and a new client must be opened.
/// </remarks>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<(string Host, int Port)> _servers;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource<ZooKeeperConnection?> _connected = NewConnectedSource();
    private ZooKeeperConnection? _connection;
    private ZooKeeperState _state = ZooKeeperState.Connecting;
    private long _sessionId;
    private byte[] _password;
    private int _negotiatedTimeoutMs;
    private long _lastZxid;
    private int _xid;
    private int _serverIndex;
    // Counted with Interlocked by every caller's SubmitAsync (any thread); read by Requests.
    private long _requests;
    private bool _closing;
    private TaskCompletionSource? _reconnectHold;
    private Task _sessionLoop = Task.CompletedTask;

    /// <summary>The digest ACL id (<c>user:base64(sha1(user:password))</c>) this client's nodes get, or null for open nodes.</summary>
    private readonly string? _digestId;

    private ZooKeeperClient(ZooKeeperClientOptions options, ILogger? logger)
    {
        var connectionString = ZooKeeperConnectionString.Parse(options.ConnectionString);
        if (options.MaxFrameLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxFrameLength must be positive.");
        }

        if (options.SessionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "SessionTimeout must be positive.");
        }

        if (options.Digest is { } digest && (digest.IndexOf(':', StringComparison.Ordinal) is <= 0 || digest.EndsWith(':')))
        {
            throw new FormatException("A ZooKeeper digest is user:password, both non-empty.");
        }

        _options = options;
        _digestId = options.Digest is { } credentials
            ? $"{credentials[..credentials.IndexOf(':', StringComparison.Ordinal)]}:{Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(credentials)))}"
            : null;
        _logger = logger ?? NullLogger.Instance;
        _time = options.TimeProvider;
        var servers = connectionString.Servers.ToArray();
        if (options.ShuffleServers)
        {
            Random.Shared.Shuffle(servers);
        }

        _servers = servers;
        Chroot = connectionString.Chroot;
        _sessionId = options.SessionId;
        _password = options.SessionPassword is { Length: > 0 } password ? password.ToArray() : new byte[16];
    }

    /// <summary>Requests this client has sent (each read, write and multi counts once, its retries not again).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Raised on every session state change, on a background thread; handlers must not block.</summary>
    public event EventHandler<ZooKeeperStateChangedEventArgs>? StateChanged;

    /// <summary>The current session state.</summary>
    public ZooKeeperState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The session id given by the server (0 before the first connection).</summary>
    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>The session timeout negotiated with the server.</summary>
    public TimeSpan SessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeoutMs));

    /// <summary>The chroot prefixed to every path, or null.</summary>
    public string? Chroot { get; }

    /// <summary>The server the client is connected to (<c>host:port</c>), or null while disconnected.</summary>
    public string? ConnectedServer
    {
        get
        {
            lock (_gate)
            {
                return _state == ZooKeeperState.Connected ? _connection?.Server : null;
            }
        }
    }

    /// <summary>Opens a session with the servers of <paramref name="connectionString"/> using default options.</summary>
    public static Task<ZooKeeperClient> ConnectAsync(string connectionString, CancellationToken cancellationToken = default) =>
        ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString }, null, cancellationToken);

    /// <summary>
    /// Opens a session and waits for the first connection. Throws <see cref="ConnectionLossException"/> when no
    /// server answers within <see cref="ZooKeeperClientOptions.ConnectTimeout"/>, and
    /// <see cref="SessionExpiredException"/> when resuming a session the server no longer knows.
    /// </summary>
    public static async Task<ZooKeeperClient> ConnectAsync(
        ZooKeeperClientOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new ZooKeeperClient(options, logger);
        client._sessionLoop = Task.Run(client.RunSessionAsync, CancellationToken.None);
        try
        {
            await client.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (client.Chroot is not null)
            {
                await client.EnsureChrootAsync(cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A copy of the session password, to resume the session from another client.</summary>
    public byte[] GetSessionPassword()
    {
        lock (_gate)
        {
            return _password.ToArray();
        }
    }

    /// <summary>
    /// Closes the session on the server (its ephemeral nodes are deleted) and stops the client. Safe to call more
    /// than once.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        ZooKeeperConnection? connection;
        lock (_gate)
        {
            if (_state is ZooKeeperState.Closed or ZooKeeperState.Expired || _closing)
            {
                connection = null;
            }
            else
            {
                _closing = true;
                connection = _state == ZooKeeperState.Connected ? _connection : null;
            }
        }

        if (connection is not null)
        {
            try
            {
                var request = NewRequest(OpCode.CloseSession);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(SessionTimeout);
                await connection.SendAsync(request, OpCode.CloseSession, NextXid, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ZooKeeperException or OperationCanceledException)
            {
                // The server expires the session on its own if the close did not arrive.
                LogCloseFailed(_logger, SessionId, e.Message);
            }
        }

        await ShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the session (see <see cref="CloseAsync"/>) and releases the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    /// <summary>Test hook: the session loop waits before its next connection attempt until <see cref="ReleaseReconnects"/>.</summary>
    internal void HoldReconnects()
    {
        lock (_gate)
        {
            _reconnectHold ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Test hook: lets the session loop reconnect again.</summary>
    internal void ReleaseReconnects()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _reconnectHold;
            _reconnectHold = null;
        }

        hold?.TrySetResult();
    }

    /// <summary>Test hook: drops the current connection as if the network failed.</summary>
    internal void DropConnection()
    {
        ZooKeeperConnection? connection;
        lock (_gate)
        {
            connection = _connection;
        }

        connection?.Fail(new ConnectionLossException("The connection was dropped by a test."));
    }

    private static TaskCompletionSource<ZooKeeperConnection?> NewConnectedSource() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int NextXid() => Interlocked.Increment(ref _xid);

    private async Task ShutdownAsync()
    {
        ZooKeeperConnection? connection;
        ZooKeeperState previous;
        lock (_gate)
        {
            previous = _state;
            connection = _connection;
            _connection = null;
            if (_state is not ZooKeeperState.Expired)
            {
                _state = ZooKeeperState.Closed;
            }

            _connected.TrySetResult(null);
            _reconnectHold?.TrySetResult();
        }

        if (!_shutdown.IsCancellationRequested)
        {
            await _shutdown.CancelAsync().ConfigureAwait(false);
        }

        connection?.Fail(new ConnectionLossException("The ZooKeeper client was closed."));
        await _sessionLoop.ConfigureAwait(false);
        if (previous is not ZooKeeperState.Closed and not ZooKeeperState.Expired)
        {
            RaiseStateChanged(previous, ZooKeeperState.Closed);
        }
    }

    private async Task<ZooKeeperConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<ZooKeeperConnection?> connected;
            lock (_gate)
            {
                ThrowIfTerminal();
                if (_state == ZooKeeperState.Connected && _connection is { } current)
                {
                    return current;
                }

                connected = _connected.Task;
            }

            ZooKeeperConnection? connection;
            try
            {
                connection = await connected.WaitAsync(_options.ConnectTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new ConnectionLossException(
                    $"No ZooKeeper server of '{_options.ConnectionString}' could be reached within {_options.ConnectTimeout}.", e);
            }

            if (connection is not null)
            {
                return connection;
            }
        }
    }

    private void ThrowIfTerminal()
    {
        switch (_state)
        {
            case ZooKeeperState.Expired:
                throw new SessionExpiredException();
            case ZooKeeperState.Closed:
                throw new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper session was closed.");
        }

        if (_closing)
        {
            throw new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper session is closing.");
        }
    }

    private async Task RunSessionAsync()
    {
        var failures = 0;
        var token = _shutdown.Token;
        while (!token.IsCancellationRequested)
        {
            Task? hold;
            lock (_gate)
            {
                hold = _reconnectHold?.Task;
            }

            if (hold is not null)
            {
                await hold.ConfigureAwait(false);
                continue;
            }

            var (host, port) = _servers[_serverIndex++ % _servers.Count];
            ZooKeeperConnection? connection = null;
            try
            {
                var requestedMs = (int)_options.SessionTimeout.TotalMilliseconds;
                var attemptTimeout = TimeSpan.FromMilliseconds(Math.Max(1000, (Volatile.Read(ref _negotiatedTimeoutMs) is > 0 and var n ? n : requestedMs) / _servers.Count));
                connection = await ZooKeeperConnection.OpenAsync(host, port, attemptTimeout, _time, _logger, token).ConfigureAwait(false);
                var response = await connection.HandshakeAsync(
                    Interlocked.Read(ref _lastZxid), requestedMs, SessionId, GetSessionPassword(), attemptTimeout, token).ConfigureAwait(false);
                if (response.TimeoutMs <= 0)
                {
                    OnExpired();
                    return;
                }

                if (_options.Digest is { } digest)
                {
                    // Re-sent on every connection: ZooKeeper keeps a session's auth per connection.
                    await connection.SendAuthAsync("digest", System.Text.Encoding.UTF8.GetBytes(digest), token).ConfigureAwait(false);
                }

                connection.Failed = LeaveConnected;
                if (!TryEnterConnected(connection, response))
                {
                    return;
                }

                failures = 0;
                await connection.RunAsync(SessionTimeout, UpdateLastZxid, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogConnectFailed(_logger, host, port, e.Message);
            }
            finally
            {
                connection?.Fail(new ConnectionLossException($"The connection to ZooKeeper server {host}:{port} was lost."));
                LeaveConnected(connection);
            }

            lock (_gate)
            {
                if (_closing)
                {
                    return;
                }
            }

            if (failures > 0 && failures % _servers.Count == 0)
            {
                // Every server failed in a row: back off a little before the next round.
                var delay = TimeSpan.FromMilliseconds(Math.Min(1000, 50 * (failures / _servers.Count)) + Random.Shared.Next(50));
                try
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private bool TryEnterConnected(ZooKeeperConnection connection, ConnectResponse response)
    {
        ZooKeeperState previous;
        lock (_gate)
        {
            if (_state is ZooKeeperState.Closed or ZooKeeperState.Expired)
            {
                return false;
            }

            var newSession = _sessionId != response.SessionId;
            Interlocked.Exchange(ref _sessionId, response.SessionId);
            _password = response.Password;
            Volatile.Write(ref _negotiatedTimeoutMs, response.TimeoutMs);
            _connection = connection;
            previous = _state;
            _state = ZooKeeperState.Connected;
            _connected.TrySetResult(connection);
            if (newSession)
            {
                LogSessionEstablished(_logger, response.SessionId, connection.Server, response.TimeoutMs);
            }
            else
            {
                LogSessionResumed(_logger, response.SessionId, connection.Server);
            }
        }

        RaiseStateChanged(previous, ZooKeeperState.Connected);
        return true;
    }

    private void LeaveConnected(ZooKeeperConnection? connection)
    {
        // Runs on the failing connection's thread (via ZooKeeperConnection.Failed) and again from the session loop.
        ZooKeeperState previous;
        lock (_gate)
        {
            if (connection is null || !ReferenceEquals(_connection, connection) || _state != ZooKeeperState.Connected)
            {
                return;
            }

            _connection = null;
            previous = _state;
            _state = ZooKeeperState.Disconnected;
            _connected = NewConnectedSource();
            if (_closing)
            {
                _connected.TrySetResult(null);
            }
        }

        LogDisconnected(_logger, SessionId, connection.Server);
        RaiseStateChanged(previous, ZooKeeperState.Disconnected);
    }

    private void OnExpired()
    {
        ZooKeeperState previous;
        lock (_gate)
        {
            previous = _state;
            if (previous is ZooKeeperState.Closed or ZooKeeperState.Expired)
            {
                return;
            }

            _state = ZooKeeperState.Expired;
            _connection = null;
            _connected.TrySetResult(null);
        }

        LogSessionExpired(_logger, SessionId);
        RaiseStateChanged(previous, ZooKeeperState.Expired);
    }

    private void UpdateLastZxid(long zxid)
    {
        var current = Interlocked.Read(ref _lastZxid);
        while (zxid > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastZxid, zxid, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void RaiseStateChanged(ZooKeeperState previous, ZooKeeperState current)
    {
        try
        {
            StateChanged?.Invoke(this, new ZooKeeperStateChangedEventArgs(previous, current));
        }
        catch (Exception e)
        {
            LogStateHandlerFailed(_logger, e);
        }
    }
}
