using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace DiMint.Grains.Batching;

/// <summary>
/// The silo's data port: a TCP listener whose connections carry requests as frames (<see cref="FramedSocket"/>: a
/// <see cref="DataPortRequest"/> in, a <see cref="DataPortAnswer"/> out, matched by request id, any number in flight).
/// A client's batch runs on the <see cref="BatchExecutor"/>, as a batch sent as an Orleans call to the
/// <see cref="SiloBatchService"/> would: the same checks, the same answers. Reads of local masters are answered on the
/// connection's own thread; writes answer when their replicas have acknowledged them. Another silo's replication
/// batches go to the <see cref="ReplicationReceiver"/>, as they would through the <see cref="ReplicationService"/>. The
/// overlord's probes are answered on the connection's thread, with the silo's recent stall (<see cref="PauseMeter"/>).
/// <para>
/// It opens when the silo becomes active and closes first when the silo stops, so clients fall back to Orleans calls
/// while the silo hands its ranges over. A connection that sends a malformed frame is closed; nothing of it runs.
/// </para>
/// </summary>
internal sealed partial class DataPortListener(
    IOptions<DataPortOptions> options,
    BatchExecutor executor,
    ReplicationReceiver receiver,
    DataPorts outgoing,
    RingCache rings,
    PauseMeter pauses,
    OverlordElection election,
    ClusterAccess access,
    DataPortEndpoint announced,
    IOptions<Orleans.Configuration.EndpointOptions> endpoints,
    DataPortCodec codec,
    ILogger<DataPortListener> logger,
    ClusterTls? tls = null) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly DataPortOptions _options = options.Value;
    private readonly ConcurrentDictionary<FramedSocket, InFlight> _connections = new();
    /// <summary>Connections per peer address: added to by the accept loop, taken from by each connection's task as it ends.</summary>
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();

    /// <summary>Connections accepted and not yet ended; the accept loop and the connections' tasks, <see cref="Interlocked"/> only.</summary>
    private int _accepted;
    private readonly RefusalLog _refusals = new(logger, "data port");
    private Socket? _listener;
    private long _clientRequests;
    private long _replicationRequests;
    private long _probes;

    /// <summary>The port clients connect to; 0 while the listener is closed or when the silo has none.</summary>
    public int Port { get; private set; }

    /// <summary>Client batches received on the data port since the silo started.</summary>
    public long ClientRequests => Interlocked.Read(ref _clientRequests);

    /// <summary>Replication requests (from other silos) received on the data port since the silo started.</summary>
    public long ReplicationRequests => Interlocked.Read(ref _replicationRequests);

    /// <summary>The overlord's probes answered on the data port since the silo started.</summary>
    public long Probes => Interlocked.Read(ref _probes);

    /// <summary>Connections open now (after their handshake, when the silo has a secret).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Connections refused since the silo started: they did not prove the cluster secret.</summary>
    public long Refused => _refusals.Count;

    /// <summary>The address the port listens on (the silo port's, by default the silo's advertised address); null while closed.</summary>
    public IPAddress? Address { get; private set; }

    /// <summary>Closes every connection, as a network failure would: the peers fail what they had in flight, retry and reconnect.</summary>
    public void DropConnections()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DataPortListener), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        // Where the silo port listens: the silo's advertised address unless all of the host's addresses were asked for.
        var address = endpoints.Value.SiloListeningEndpoint?.Address ?? endpoints.Value.AdvertisedIPAddress ?? IPAddress.Loopback;
        Socket listener;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            try
            {
                listener = Listen(IPAddress.IPv6Any, dualMode: true);
            }
            catch (SocketException)
            {
                // IPv6 is there but unusable (turned off in the kernel): all IPv4 addresses then.
                listener = Listen(IPAddress.Any, dualMode: false);
            }
        }
        else
        {
            listener = Listen(address, dualMode: false);
        }

        _listener = listener;
        var local = (IPEndPoint)listener.LocalEndPoint!;
        Address = local.Address;
        Port = local.Port;
        announced.Current = local;
        LogListening(logger, local.ToString(), access.Secret is null ? "without a cluster secret" : "with the cluster secret");
        _ = AcceptAsync(listener);
        return Task.CompletedTask;
    }

    /// <summary>A socket listening on <paramref name="address"/> (with <paramref name="dualMode"/>, IPv4 too).</summary>
    private Socket Listen(IPAddress address, bool dualMode)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode)
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(address, _options.Port));
            socket.Listen(512);
            return socket;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new InvalidOperationException($"The data port cannot listen on port {_options.Port}: {ex.Message}. Set DiMint:DataPort:Port to a free port, or 0.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private Task StopAsync(CancellationToken cancellationToken)
    {
        Port = 0;
        Address = null;
        announced.Current = null;
        outgoing.CloseAll();
        _listener?.Dispose();
        DropConnections();
        return Task.CompletedTask;
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception) when (Port == 0)
            {
                return;
            }
            catch (Exception ex)
            {
                LogAcceptFailed(logger, ex.Message);
                continue;
            }

            if (Admit(socket) is not { } address)
            {
                continue;
            }

            _ = ServeAndReleaseAsync(socket, address);
        }
    }

    /// <summary>The peer's address when the port has room for another of its connections; else null, and the socket is closed.</summary>
    private IPAddress? Admit(Socket socket)
    {
        IPAddress address;
        try
        {
            address = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return null;
        }

        var total = Interlocked.Increment(ref _accepted);
        var fromAddress = _perAddress.AddOrUpdate(address, 1, static (_, n) => n + 1);
        if (total <= _options.MaxConnections && fromAddress <= _options.MaxConnectionsPerAddress)
        {
            return address;
        }

        Release(address);
        _refusals.Refused(address.ToString(), total > _options.MaxConnections
            ? $"the port holds its most connections ({_options.MaxConnections})"
            : $"that address holds its most connections ({_options.MaxConnectionsPerAddress})");
        socket.Dispose();
        return null;
    }

    private void Release(IPAddress address)
    {
        Interlocked.Decrement(ref _accepted);
        if (_perAddress.AddOrUpdate(address, 0, static (_, n) => n - 1) <= 0)
        {
            // Gone unless another connection of that address came in meanwhile.
            _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }

    private async Task ServeAndReleaseAsync(Socket socket, IPAddress address)
    {
        try
        {
            await ServeAsync(socket).ConfigureAwait(false);
        }
        finally
        {
            Release(address);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (tls is not null)
        {
            // TLS first, then the secret inside it: a peer that speaks no TLS, or shows a certificate not the cluster's, gets no further.
            var secured = new SslStream(stream, leaveInnerStreamOpen: false);
            stream = secured;
            try
            {
                using var deadline = new CancellationTokenSource(ClusterHandshake.Timeout);
                await secured.AuthenticateAsServerAsync(tls.ServerOptions(), deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A TLS refusal is logged; a connection that broke or went silent during it is counted.
                _refusals.Refused(TryRemote(socket), $"its TLS handshake failed: {ex.Message}", log: ex is AuthenticationException);
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        if (access.Secret is { } secret)
        {
            // Nothing the peer sends is read as a frame before it proved the secret.
            var refused = await ClusterHandshake.AcceptAsync(new StreamHandshakeChannel(stream), secret).ConfigureAwait(false);
            if (refused is not null)
            {
                _refusals.Refused(TryRemote(socket), refused.Reason, log: !refused.ConnectionFailed);
                await stream.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        FramedSocket connection;
        try
        {
            connection = new FramedSocket(socket, stream) { MaxQueuedBytes = _options.MaxUnreadBytes };
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await ServeAsync(connection).ConfigureAwait(false);
    }

    private static string? TryRemote(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private async Task ServeAsync(FramedSocket connection)
    {
        var inFlight = new InFlight();
        _connections[connection] = inFlight;
        try
        {
            await connection.ReceiveAsync((id, payload) => Run(connection, inFlight, id, payload)).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            LogMalformed(logger, connection.RemoteEndPoint?.ToString(), ex.Message);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The client went away, or was dropped (below).
        }
        finally
        {
            connection.Dispose();
            _connections.TryRemove(connection, out _);
            if (connection.DroppedBecause is { } reason)
            {
                LogDropped(logger, connection.RemoteEndPoint?.ToString(), reason);
            }
        }
    }

    /// <summary>Runs one request; a payload that does not decode to a request closes the connection.</summary>
    private void Run(FramedSocket connection, InFlight inFlight, long id, ReadOnlyMemory<byte> payload)
    {
        DataPortRequest? request;
        try
        {
            request = codec.ReadRequest(payload);
        }
        catch (Exception ex)
        {
            throw new InvalidDataException($"{connection.RemoteEndPoint} sent request {id}, which does not decode: {ex.Message}", ex);
        }

        if (request?.Batches is not { } batches || Array.IndexOf(batches, null) >= 0)
        {
            throw new InvalidDataException($"{connection.RemoteEndPoint} sent request {id} without its batches.");
        }

        if (request.Replication is { } replication && (batches.Length > 0 || Array.IndexOf(replication, null) >= 0))
        {
            throw new InvalidDataException($"{connection.RemoteEndPoint} sent request {id} with client batches and replication, or a null replication batch.");
        }

        if (request.RingAfter is { } after && (after < 0 || batches.Length > 0 || request.Replication is not null))
        {
            throw new InvalidDataException($"{connection.RemoteEndPoint} sent request {id}, a ring watch with batches or a negative version.");
        }

        if (request.Ping)
        {
            if (batches.Length > 0 || request.Replication is not null || request.RingAfter is not null)
            {
                throw new InvalidDataException($"{connection.RemoteEndPoint} sent request {id}, a probe with batches, replication or a ring watch.");
            }

            Interlocked.Increment(ref _probes);
            election.Observe(request.Overlord, request.OverlordTerm);

            Answer(connection, id, Task.FromResult(new DataPortAnswer { Stall = pauses.RecentLongest }));
            return;
        }

        if (request.RingAfter is null)
        {
            // A ring watch is no batch: the counters say how many batches came.
            Interlocked.Increment(ref request.Replication is null ? ref _clientRequests : ref _replicationRequests);
        }
        Task<DataPortAnswer> run;
        try
        {
            run = RunAsync(request);
        }
        catch (Exception ex)
        {
            run = Task.FromException<DataPortAnswer>(ex);
        }

        if (run.IsCompleted)
        {
            Answer(connection, id, run);
        }
        else if (Interlocked.Increment(ref inFlight.Count) > _options.MaxRequestsInFlight)
        {
            throw new InvalidDataException($"{connection.RemoteEndPoint} has more than {_options.MaxRequestsInFlight} requests waiting for their answers.");
        }
        else
        {
            _ = AnswerWhenDoneAsync(connection, inFlight, id, run);
        }
    }

    /// <summary>Completes at once for reads of local masters: their answer goes out on the connection's thread.</summary>
    private async Task<DataPortAnswer> RunAsync(DataPortRequest request) =>
        request.Replication is { } replication
            ? new DataPortAnswer { Replicated = await receiver.ApplyAsync(replication).ConfigureAwait(false) }
            : request.RingAfter is { } after
                ? new DataPortAnswer { Ring = await WatchRingAsync(after).ConfigureAwait(false) }
                : new DataPortAnswer { Results = await executor.ExecuteAsync(request.Batches, request.RingVersion).ConfigureAwait(false) };

    /// <summary>
    /// A client's ring watch: this silo watches the overlord (from inside the cluster, where the client's gateway may not
    /// reach) and answers its ring once it is newer than <paramref name="version"/>, or after <see cref="RingCache.WatchFor"/>.
    /// </summary>
    private async Task<RingUpdate?> WatchRingAsync(long version)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await rings.WatchAsync(version).WaitAsync(RingCache.WatchFor).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // The overlord did not answer in time: answer what this silo knows by then.
        }

        var left = RingCache.WatchFor - Stopwatch.GetElapsedTime(started);
        if ((rings.Current?.Version ?? 0) <= version && left > TimeSpan.Zero)
        {
            await rings.WaitForNewerAsync(version, left).ConfigureAwait(false);
        }

        return rings.Current is { } current ? rings.UpdateFor(current, version) : null;
    }

    private async Task AnswerWhenDoneAsync(FramedSocket connection, InFlight inFlight, long id, Task<DataPortAnswer> run)
    {
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Answered below.
        }

        Interlocked.Decrement(ref inFlight.Count);
        Answer(connection, id, run);
    }

    private void Answer(FramedSocket connection, long id, Task<DataPortAnswer> run)
    {
        var answer = run.IsCompletedSuccessfully
            ? run.Result
            : new DataPortAnswer { Error = run.Exception?.InnerException ?? new TaskCanceledException() };
        try
        {
            try
            {
                connection.Send<DataPortAnswer>(codec, id, answer);
            }
            catch (FrameTooLargeException ex)
            {
                connection.Send<DataPortAnswer>(codec, id, new DataPortAnswer { Error = ex });
            }
        }
        catch (IOException)
        {
            // The client is gone; its batches fail on its side and are retried.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data port listening on {Endpoint}, {Access}")]
    private static partial void LogListening(ILogger logger, string endpoint, string access);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data port: accepting a connection failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data port: dropped the connection from {Peer}, which does not read its answers: {Reason}")]
    private static partial void LogDropped(ILogger logger, string? peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data port: closed the connection from {Peer}, which sent a malformed frame: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string? peer, string reason);

    /// <summary>A connection's requests waiting for their answers.</summary>
    private sealed class InFlight
    {
        /// <summary>Raised by the connection's receiving loop, lowered by whichever thread completes a request: <see cref="Interlocked"/> only.</summary>
        public int Count;
    }
}
