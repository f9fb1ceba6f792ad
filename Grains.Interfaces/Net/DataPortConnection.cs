using Orleans.Runtime.Messaging;
using Orleans.Serialization;

namespace DiMint;

/// <summary>
/// A connection to one silo's data port, from a client or from another silo: sends <see cref="DataPortRequest"/> frames,
/// any number in flight, and completes each with its <see cref="DataPortAnswer"/>. When the connection fails, every
/// request still waiting fails with <see cref="ConnectionFailedException"/>, which callers retry like a lost Orleans call.
/// A connection whose peer sent nothing for <see cref="SilentFor"/> while requests waited is closed at the next send: TCP
/// keeps a connection whose packets a partition dropped open for minutes after the heal (its retransmissions back off),
/// and every request on it would time out meanwhile; a new connection is made at once.
/// </summary>
public sealed class DataPortConnection
{
    private readonly FramedSocket _socket;
    private readonly DataPortCodec _codec;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource<DataPortAnswer>> _waiting = [];
    private long _nextId;
    private string? _closedBecause;
    private readonly Action? _lost;

    /// <summary>
    /// Since when requests have waited with nothing received (<see cref="Environment.TickCount64"/>), or 0. Read and
    /// written by senders under <see cref="_lock"/> only.
    /// </summary>
    private long _waitingSince;

    /// <summary>How long a peer may send nothing while requests wait before the connection is given up.</summary>
    public static readonly TimeSpan SilentFor = TimeSpan.FromSeconds(5);

    private DataPortConnection(FramedSocket socket, DataPortCodec codec, Action? lost)
    {
        _lost = lost;
        _socket = socket;
        _codec = codec;
    }

    /// <summary>Whether the connection is closed: requests must take another way.</summary>
    public bool IsClosed => _socket.IsClosed;

    /// <summary>
    /// A connection over <paramref name="socket"/> that receives answers until it closes. <paramref name="lost"/> runs
    /// once when the peer ends the connection (it closed or reset it), not when this side closes it.
    /// </summary>
    public static DataPortConnection Open(FramedSocket socket, DataPortCodec codec, Action? lost = null)
    {
        var connection = new DataPortConnection(socket, codec, lost);
        _ = connection.ReceiveAsync();
        return connection;
    }

    /// <summary>Runs a client batch on the silo (as <see cref="ISiloBatchService.ExecuteAsync"/>).</summary>
    public async Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion)
    {
        var answer = await SendAsync(new DataPortRequest { Batches = batches, RingVersion = ringVersion }).ConfigureAwait(false);
        return answer.Results ?? throw new InvalidOperationException("The silo answered a batch without its results.");
    }

    /// <summary>The silo's ring once it is newer than <paramref name="version"/>, or its newest after a while (see <see cref="DataPortRequest.RingAfter"/>).</summary>
    public async Task<RingUpdate?> WatchRingAsync(long version) =>
        (await SendAsync(new DataPortRequest { Batches = [], RingAfter = version }).ConfigureAwait(false)).Ring;

    /// <summary>
    /// The overlord's health probe (<see cref="DataPortRequest.Ping"/>), from the overlord on <paramref name="overlord"/> at
    /// lease term <paramref name="term"/>: the silo's longest recent stall.
    /// </summary>
    public async Task<TimeSpan> PingAsync(SiloAddress overlord, long term) =>
        (await SendAsync(new DataPortRequest { Batches = [], Ping = true, Overlord = overlord, OverlordTerm = term }).ConfigureAwait(false)).Stall
        ?? throw new InvalidOperationException("The silo answered a probe without its stall.");

    /// <summary>Hands replication batches to the silo's replicas (as <see cref="IReplicationService.ApplyAsync"/>).</summary>
    public async Task<ReplicationAnswer[]> ReplicateAsync(ReplicationBatch[] batches)
    {
        var answer = await SendAsync(new DataPortRequest { Batches = [], Replication = batches }).ConfigureAwait(false);
        return answer.Replicated ?? throw new InvalidOperationException("The silo answered replication batches without their acknowledgements.");
    }

    /// <summary>Sends one request; its task completes with the answer, or fails with the error the silo answered.</summary>
    public Task<DataPortAnswer> SendAsync(DataPortRequest request)
    {
        // Completed by the receiving loop, whose thread then runs the caller's continuation: no thread-pool hop.
        var answer = new TaskCompletionSource<DataPortAnswer>();
        long id;
        string? silent = null;
        lock (_lock)
        {
            if (_closedBecause is { } reason)
            {
                return Task.FromException<DataPortAnswer>(Lost(reason));
            }

            var now = Environment.TickCount64;
            if (_waiting.Count == 0 || _socket.LastReceived > _waitingSince)
            {
                _waitingSince = now;
            }
            else if (now - _waitingSince > (long)SilentFor.TotalMilliseconds)
            {
                silent = $"the silo sent nothing for {(now - _waitingSince) / 1000.0:0.0} s while {_waiting.Count} requests waited";
            }

            if (silent is null)
            {
                id = ++_nextId;
                _waiting.Add(id, answer);
            }
            else
            {
                id = 0;
            }
        }

        if (silent is not null)
        {
            Close(silent);
            return Task.FromException<DataPortAnswer>(Lost(silent));
        }

        try
        {
            _socket.Send<DataPortRequest>(_codec, id, request);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _waiting.Remove(id);
            }

            if (ex is FrameTooLargeException)
            {
                return Task.FromException<DataPortAnswer>(ex);
            }

            Close(ex.Message);
            return Task.FromException<DataPortAnswer>(Lost(ex.Message));
        }

        return answer.Task;
    }

    /// <summary>Closes the connection: the requests still waiting fail.</summary>
    public void Close(string reason)
    {
        List<TaskCompletionSource<DataPortAnswer>> failed;
        lock (_lock)
        {
            _closedBecause ??= reason;
        }

        _socket.Dispose();
        lock (_lock)
        {
            failed = [.. _waiting.Values];
            _waiting.Clear();
        }

        foreach (var answer in failed)
        {
            answer.TrySetException(Lost(_closedBecause));
        }
    }

    private ConnectionFailedException Lost(string reason) =>
        new($"The data port connection to {_socket.RemoteEndPoint} closed: {reason}");

    private async Task ReceiveAsync()
    {
        var reason = "the silo closed it";
        try
        {
            await _socket.ReceiveAsync(OnFrame).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            reason = ex.Message;
        }

        bool byPeer;
        lock (_lock)
        {
            byPeer = _closedBecause is null;
        }

        Close(reason);
        if (byPeer)
        {
            _lost?.Invoke();
        }
    }

    private void OnFrame(long id, ReadOnlyMemory<byte> payload)
    {
        DataPortAnswer? answer;
        try
        {
            answer = _codec.ReadAnswer(payload);
        }
        catch (Exception ex)
        {
            throw new InvalidDataException($"The silo's answer to request {id} does not decode: {ex.Message}", ex);
        }

        TaskCompletionSource<DataPortAnswer>? waiting;
        lock (_lock)
        {
            _waiting.Remove(id, out waiting);
        }

        if (waiting is null)
        {
            return;
        }

        if (answer is null)
        {
            waiting.TrySetException(new InvalidDataException($"The silo answered request {id} with nothing."));
        }
        else if (answer.Error is { } error)
        {
            waiting.TrySetException(error);
        }
        else
        {
            waiting.TrySetResult(answer);
        }
    }
}
