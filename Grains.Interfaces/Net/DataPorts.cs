using System.Collections.Concurrent;
using System.Net;
using Orleans.Serialization;

namespace DiMint;

/// <summary>
/// Connections to the silos' data ports, from a client (its batches) or a silo (its replication). Requests for a silo go
/// on its connection while that is open; until it is (the port is being asked for, the connection is being made, or it
/// failed and waits to be tried again), they go as Orleans calls. The port comes from the silo's
/// <see cref="ISiloBatchService"/> (<see cref="ISiloBatchService.GetDataPortAsync"/>) and is reached on the silo's own
/// address. With a <see cref="ClusterSecret"/>, each connection proves it first (<see cref="ClusterHandshake"/>); a silo
/// that refuses it, or cannot prove it back, is treated as unreachable (its requests go as Orleans calls, which prove the
/// secret too). With <see cref="ClusterTls"/>, each connection runs TLS first, and a silo whose certificate is not the
/// cluster's is treated as unreachable too.
/// </summary>
public sealed class DataPorts(
    DataPortCodec codec, TimeSpan connectTimeout, ClusterSecret? secret = null, ClusterTls? tls = null)
{
    private readonly ClusterSecret? _secret = secret;
    private readonly ClusterTls? _tls = tls;
    private readonly DataPortCodec _codec = codec;
    private readonly TimeSpan _connectTimeout = connectTimeout;

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<SiloAddress, Peer> _silos = new();

    /// <summary>
    /// Runs when a silo ends a connection to its data port (closes or resets it: its process may have died), on the
    /// receiving thread that saw it. Set once, by the silo's <c>PeerConnections</c> when it starts (the overlord's failure
    /// detection), and read without a lock by those threads: one that still reads null misses a hint the overlord's probes
    /// give anyway. Null on a client.
    /// </summary>
    public Action<SiloAddress>? PeerLost { get; set; }

    /// <summary>
    /// The open connection to <paramref name="silo"/>'s data port, or null: send as an Orleans call (and, unless an attempt
    /// is under way or failed too recently, a connection is being made meanwhile, with the port asked of <paramref name="service"/>).
    /// </summary>
    public DataPortConnection? For(SiloAddress silo, ISiloBatchService service) => PeerOf(silo).Connection(service);

    /// <summary>What this side knows of <paramref name="silo"/>'s data port, for a sender that keeps it (no lookup per request).</summary>
    public Peer PeerOf(SiloAddress silo) =>
        _silos.TryGetValue(silo, out var peer) ? peer : _silos.GetOrAdd(silo, static (silo, owner) => new Peer(silo, owner), this);

    /// <summary>
    /// Open connections to up to <paramref name="count"/> distinct silos, chosen at random (a silo that paused keeps its
    /// connections open a while, so asking one is not enough); empty when none is open.
    /// </summary>
    public DataPortConnection[] SomeOpen(int count)
    {
        var open = _silos.Values.Select(p => p.Open).OfType<DataPortConnection>().ToArray();
        Random.Shared.Shuffle(open);
        return open.Length <= count ? open : open[..count];
    }

    /// <summary>The silos with an open connection.</summary>
    public int OpenCount => _silos.Values.Count(p => p.Open is not null);

    /// <summary>Closes every connection (the client or silo is shutting down).</summary>
    public void CloseAll()
    {
        foreach (var peer in _silos.Values)
        {
            peer.Close("the client stopped");
        }
    }

    /// <summary>One silo's data port: the connection to it, or when to try connecting again.</summary>
    public sealed class Peer
    {
        private readonly SiloAddress _silo;
        private readonly DataPorts _owner;
        private int _connecting;
        private long _retryAt;
        private TimeSpan _backoff = FirstRetry;
        private DataPortConnection? _connection;

        internal Peer(SiloAddress silo, DataPorts owner)
        {
            _silo = silo;
            _owner = owner;
        }

        /// <summary>The connection when it is open, without trying to make one.</summary>
        internal DataPortConnection? Open => _connection is { IsClosed: false } connection ? connection : null;

        /// <summary>The open connection, or null: send as an Orleans call (see <see cref="DataPorts.For"/>).</summary>
        public DataPortConnection? Connection(ISiloBatchService service)
        {
            if (_connection is { IsClosed: false } connection)
            {
                return connection;
            }

            if (Environment.TickCount64 >= Interlocked.Read(ref _retryAt) && Interlocked.Exchange(ref _connecting, 1) == 0)
            {
                _ = ConnectAsync(service);
            }

            return null;
        }

        internal void Close(string reason) => _connection?.Close(reason);

        private async Task ConnectAsync(ISiloBatchService service)
        {
            try
            {
                var port = await service.GetDataPortAsync().WaitAsync(_owner._connectTimeout).ConfigureAwait(false);
                if (port == 0)
                {
                    // The silo has no data port (or is stopping): ask again later.
                    Retry(LastRetry);
                    return;
                }

                var endpoint = new IPEndPoint(_silo.Endpoint.Address, port);
                var socket = await FramedSocket.ConnectAsync(endpoint, _owner._connectTimeout, _owner._secret, _owner._tls).ConfigureAwait(false);
                _connection = DataPortConnection.Open(socket, _owner._codec, () => _owner.PeerLost?.Invoke(_silo));
                _backoff = FirstRetry;
            }
            catch (Exception)
            {
                Retry(_backoff);
                _backoff = TimeSpan.FromTicks(Math.Min(LastRetry.Ticks, _backoff.Ticks * 2));
            }
            finally
            {
                Volatile.Write(ref _connecting, 0);
            }
        }

        private void Retry(TimeSpan after) => Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + (long)after.TotalMilliseconds);
    }
}
