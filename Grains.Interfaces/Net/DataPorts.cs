using System.Collections.Concurrent;
using System.Net;
using Orleans.Serialization;

namespace DiMint;

/// <summary>
/// Connections to the silos' data ports, from a client (its batches) or a silo (its replication). Requests for a silo go
/// on its connection while that is open; until it is (the port is being asked for, the connection is being made, or it
/// failed and waits to be tried again), they go as Orleans calls. The port comes from the silo's
/// <see cref="ISiloBatchService"/> (<see cref="ISiloBatchService.GetDataPortAsync"/>) and is reached on the silo's own
/// address.
/// </summary>
public sealed class DataPorts(Serializer<DataPortRequest> requests, Serializer<DataPortAnswer> answers, TimeSpan connectTimeout)
{
    private readonly Serializer<DataPortRequest> _requests = requests;
    private readonly Serializer<DataPortAnswer> _answers = answers;
    private readonly TimeSpan _connectTimeout = connectTimeout;

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<SiloAddress, Silo> _silos = new();

    /// <summary>
    /// The open connection to <paramref name="silo"/>'s data port, or null: send as an Orleans call (and, unless an attempt
    /// is under way or failed too recently, a connection is being made meanwhile, with the port asked of <paramref name="service"/>).
    /// </summary>
    public DataPortConnection? For(SiloAddress silo, ISiloBatchService service)
    {
        if (!_silos.TryGetValue(silo, out var entry))
        {
            entry = _silos.GetOrAdd(silo, static silo => new Silo(silo));
        }

        if (entry.Connection is { IsClosed: false } connection)
        {
            return connection;
        }

        entry.TryConnect(service, this);
        return null;
    }

    /// <summary>Closes every connection (the client or silo is shutting down).</summary>
    public void CloseAll()
    {
        foreach (var silo in _silos.Values)
        {
            silo.Connection?.Close("the client stopped");
        }
    }

    private sealed class Silo(SiloAddress silo)
    {
        private int _connecting;
        private long _retryAt;
        private TimeSpan _backoff = FirstRetry;

        public DataPortConnection? Connection { get; private set; }

        /// <summary>Starts connecting unless an attempt is under way or the last one failed too recently.</summary>
        public void TryConnect(ISiloBatchService service, DataPorts owner)
        {
            if (Environment.TickCount64 < Interlocked.Read(ref _retryAt) || Interlocked.Exchange(ref _connecting, 1) == 1)
            {
                return;
            }

            _ = ConnectAsync(service, owner);
        }

        private async Task ConnectAsync(ISiloBatchService service, DataPorts owner)
        {
            try
            {
                var port = await service.GetDataPortAsync().WaitAsync(owner._connectTimeout).ConfigureAwait(false);
                if (port == 0)
                {
                    // The silo has no data port (or is stopping): ask again later.
                    Retry(LastRetry);
                    return;
                }

                var socket = await FramedSocket.ConnectAsync(new IPEndPoint(silo.Endpoint.Address, port), owner._connectTimeout).ConfigureAwait(false);
                Connection = DataPortConnection.Open(socket, owner._requests, owner._answers);
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
