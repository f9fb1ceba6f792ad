using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Orleans.Serialization;

namespace DiMint;

/// <summary>
/// A TCP connection that carries frames both ways, the transport of a silo's data port for client and silo alike. A frame
/// is a 4-byte little-endian length (of what follows it), an 8-byte little-endian request id, and a payload serialized with
/// Orleans' serializer.
/// <para>
/// Sending is Nagle-free: a frame is written to the socket at once, on the sender's thread, unless a write is under way;
/// then it waits for that write and leaves with whatever else waited, in one write. Frames are serialized before they
/// queue, so a frame that is too large fails alone and the connection goes on.
/// </para>
/// <para>
/// The frames travel on the socket's stream, or on TLS over it (<see cref="ClusterTls"/>): the bytes are the same.
/// </para>
/// </summary>
public sealed class FramedSocket : IDisposable
{
    /// <summary>The largest frame either side accepts (its length field). A peer that announces more is dropped.</summary>
    public const int MaxFrameBytes = 128 * 1024 * 1024;

    /// <summary>The bytes of every connection's receive buffer in this process: what peers' frames hold, sent or announced.</summary>
    public static long ReceiveBufferBytes => Interlocked.Read(ref s_receiveBufferBytes);

    /// <summary>Changed by every connection's receiving loop, read by anyone: <see cref="Interlocked"/> only, no lock.</summary>
    private static long s_receiveBufferBytes;

    /// <summary>
    /// How long a peer may leave a frame half sent before the connection is dropped; and how long a write may wait for
    /// a peer that does not read.
    /// </summary>
    public static readonly TimeSpan PartialFrameTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default of <see cref="MaxQueuedBytes"/>: two of the largest frames.</summary>
    public const long DefaultMaxQueuedBytes = 2L * MaxFrameBytes;

    private const int HeaderBytes = 12;
    private const int BufferBytes = 64 * 1024;

    /// <summary>Serializes a frame's payload before the send lock is taken; dropped when a large frame grew it.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private readonly Socket _socket;

    /// <summary>What frames are read from and written to: the socket's stream, or TLS over it.</summary>
    private readonly Stream _stream;
    private readonly Lock _lock = new();
    private ArrayBufferWriter<byte> _queued = new(BufferBytes);
    private ArrayBufferWriter<byte>? _spare = new(BufferBytes);
    private bool _writing;
    private int _closed;

    /// <summary>Written by the receiving loop only, read by any sender: <see cref="Volatile"/>, no lock.</summary>
    private long _lastReceived = Environment.TickCount64;

    /// <summary>
    /// Armed for a write that did not complete at once, and disposed, by the one writer at a time (<see cref="_writing"/>);
    /// fires when the peer stops reading.
    /// </summary>
    private CancellationTokenSource? _writeStalled;

    /// <summary>Set under <see cref="_lock"/> (the first reason wins) by a sender or the writer, before this side drops the connection on its own.</summary>
    private string? _droppedBecause;

    /// <summary>
    /// Takes over <paramref name="socket"/>, a connected TCP socket (Nagle's algorithm is turned off), and the
    /// <paramref name="stream"/> the frames travel on: by default the socket's own, else TLS over it (closed with it).
    /// </summary>
    public FramedSocket(Socket socket, Stream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _socket.NoDelay = true;
        _stream = stream ?? new NetworkStream(socket, ownsSocket: false);
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <summary>The peer's address, for messages.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>When bytes last arrived from the peer (<see cref="Environment.TickCount64"/>; when connected, before any).</summary>
    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary>Whether the connection was closed (by either side, or after an error).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// The most bytes of frames that may wait to be written (the peer does not read them fast enough) before the
    /// connection is dropped: a peer that sends requests and reads no answers cannot make this side hold their memory.
    /// Default <see cref="DefaultMaxQueuedBytes"/>.
    /// </summary>
    public long MaxQueuedBytes { get; init; } = DefaultMaxQueuedBytes;

    /// <summary>Why this side dropped the connection (the peer read too slowly, or not at all), or null.</summary>
    public string? DroppedBecause
    {
        get
        {
            lock (_lock)
            {
                return _droppedBecause;
            }
        }
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> within <paramref name="timeout"/>; with <paramref name="tls"/>, runs TLS
    /// (the silo must show a certificate of the cluster); with a <paramref name="secret"/>, proves it
    /// (<see cref="ClusterHandshake"/>, inside TLS when there is TLS) before any frame.
    /// </summary>
    /// <exception cref="UnauthorizedException">The silo refused the secret, or did not prove it back.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">TLS failed: the silo's certificate is not the cluster's, or the silo speaks none.</exception>
    public static async Task<FramedSocket> ConnectAsync(
        IPEndPoint endpoint, TimeSpan timeout, ClusterSecret? secret = null, ClusterTls? tls = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        Stream? stream = null;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (tls is not null)
            {
                var secured = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = secured;
                await secured.AuthenticateAsClientAsync(tls.ClientOptions(), deadline.Token).ConfigureAwait(false);
            }

            if (secret is not null)
            {
                await ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(stream), secret, $"the data port at {endpoint}", cancellationToken).ConfigureAwait(false);
            }

            return new FramedSocket(socket, stream);
        }
        catch
        {
            stream?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one frame. The write happens on this thread when no other is under way (see the class summary).
    /// </summary>
    /// <exception cref="FrameTooLargeException">The payload serializes to more than <see cref="MaxFrameBytes"/>; nothing was sent.</exception>
    /// <exception cref="IOException">The connection is closed.</exception>
    public void Send<T>(IFrameWriter<T> writer, long id, T payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(BufferBytes);
        bool write;
        string? drop = null;
        try
        {
            scratch.ResetWrittenCount();
            writer.Write(payload, scratch);
            if (scratch.WrittenCount > MaxFrameBytes - 8)
            {
                throw new FrameTooLargeException(scratch.WrittenCount + 8);
            }

            lock (_lock)
            {
                if (IsClosed)
                {
                    throw new IOException($"The connection to {RemoteEndPoint} is closed.");
                }

                var header = _queued.GetSpan(HeaderBytes);
                BinaryPrimitives.WriteInt32LittleEndian(header, scratch.WrittenCount + 8);
                BinaryPrimitives.WriteInt64LittleEndian(header[4..], id);
                _queued.Advance(HeaderBytes);
                _queued.Write(scratch.WrittenSpan);
                if (_queued.WrittenCount > MaxQueuedBytes)
                {
                    drop = _droppedBecause ??= $"it left {_queued.WrittenCount:N0} bytes of frames unread, more than {MaxQueuedBytes:N0}";
                }

                write = !_writing && drop is null;
                _writing |= write;
            }
        }
        finally
        {
            if (scratch.Capacity > 4 * BufferBytes)
            {
                t_scratch = null;
            }
        }

        if (drop is not null)
        {
            Dispose();
            throw new IOException($"Dropped the connection to {RemoteEndPoint}: {drop}.");
        }

        if (write)
        {
            _ = WriteAsync();
        }
    }

    /// <summary>Writes what is queued until nothing is; one writer at a time.</summary>
    private async Task WriteAsync()
    {
        try
        {
            while (true)
            {
                ArrayBufferWriter<byte> writing;
                lock (_lock)
                {
                    if (_queued.WrittenCount == 0 || IsClosed)
                    {
                        _writing = false;
                        return;
                    }

                    writing = _queued;
                    _queued = _spare!;
                    _spare = null;
                }

                var written = _stream.WriteAsync(writing.WrittenMemory);
                if (written.IsCompleted)
                {
                    await written.ConfigureAwait(false);
                }
                else
                {
                    // The peer's buffers are full. One that reads nothing for PartialFrameTimeout is dropped (closing
                    // the connection ends the write), so what waits for it cannot pile up. One timer per connection.
                    _writeStalled ??= new CancellationTokenSource();
                    _writeStalled.CancelAfter(PartialFrameTimeout);
                    try
                    {
                        await written.AsTask().WaitAsync(_writeStalled.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        lock (_lock)
                        {
                            _droppedBecause ??= $"it read nothing for {PartialFrameTimeout.TotalSeconds:0} s";
                        }

                        throw;
                    }

                    if (!_writeStalled.TryReset())
                    {
                        _writeStalled.Dispose();
                        _writeStalled = null;
                    }
                }

                writing.ResetWrittenCount();
                lock (_lock)
                {
                    _spare = writing.Capacity > 4 * BufferBytes ? new ArrayBufferWriter<byte>(BufferBytes) : writing;
                }
            }
        }
        catch (Exception)
        {
            // The peer is gone, the connection was closed, or the peer stopped reading; the receiving side reports it.
            _writeStalled?.Dispose();
            Dispose();
        }
    }

    /// <summary>
    /// Receives frames and hands each to <paramref name="onFrame"/> (its id and payload; the payload's memory is reused
    /// once it returns) until the peer closes the connection. Then closes this side too.
    /// </summary>
    /// <exception cref="InvalidDataException">The peer sent a frame whose length is out of bounds; the connection is closed.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public async Task ReceiveAsync(Action<long, ReadOnlyMemory<byte>> onFrame)
    {
        ArgumentNullException.ThrowIfNull(onFrame);
        var buffer = new byte[BufferBytes];
        Interlocked.Add(ref s_receiveBufferBytes, buffer.Length);
        CancellationTokenSource? stalled = null;
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                while (end - start >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(start));
                    if (length is < 8 or > MaxFrameBytes)
                    {
                        throw new InvalidDataException($"{RemoteEndPoint} sent a frame of {length} bytes; frames are 8 to {MaxFrameBytes} bytes.");
                    }

                    if (end - start - 4 < length)
                    {
                        if (start + 4 + length > buffer.Length && end == buffer.Length)
                        {
                            // Room for what arrives next, doubling as it does: a peer that announces a large frame
                            // makes the buffer grow only as fast as it sends (the announcement alone holds nothing).
                            var size = (int)Math.Min(4L + length, Math.Max(2L * (end - start), BufferBytes));
                            var larger = size == buffer.Length && start == 0 ? buffer : new byte[size];
                            buffer.AsSpan(start, end - start).CopyTo(larger);
                            Interlocked.Add(ref s_receiveBufferBytes, larger.Length - buffer.Length);
                            (buffer, end, start) = (larger, end - start, 0);
                        }

                        break;
                    }

                    var id = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(start + 4));
                    onFrame(id, buffer.AsMemory(start + HeaderBytes, length - 8));
                    start += 4 + length;
                }

                if (start == end)
                {
                    start = end = 0;
                    if (buffer.Length > BufferBytes)
                    {
                        Interlocked.Add(ref s_receiveBufferBytes, BufferBytes - buffer.Length);
                        buffer = new byte[BufferBytes];
                    }
                }
                else if (start > 0 && buffer.Length - end < BufferBytes / 4)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    (end, start) = (end - start, 0);
                }

                int read;
                if (start == end)
                {
                    read = await _stream.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                }
                else
                {
                    // Part of a frame is held: a peer that stops sending the rest for PartialFrameTimeout is dropped,
                    // so a stalled frame cannot keep its memory. One timer per connection, re-armed for each such read.
                    stalled ??= new CancellationTokenSource();
                    stalled.CancelAfter(PartialFrameTimeout);
                    try
                    {
                        read = await _stream.ReadAsync(buffer.AsMemory(end), stalled.Token).ConfigureAwait(false);
                        if (!stalled.TryReset())
                        {
                            // Its timer fired just as the read completed: a fresh one next time.
                            stalled.Dispose();
                            stalled = null;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        throw new InvalidDataException($"{RemoteEndPoint} sent part of a frame and nothing more for {PartialFrameTimeout.TotalSeconds:0} s.");
                    }
                }

                if (read == 0)
                {
                    return;
                }

                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                end += read;
            }
        }
        finally
        {
            Interlocked.Add(ref s_receiveBufferBytes, -buffer.Length);
            stalled?.Dispose();
            Dispose();
        }
    }

    /// <summary>Closes the connection; frames not yet written are dropped.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception)
        {
            // Already reset by the peer.
        }

        _stream.Dispose();
        _socket.Dispose();
    }
}
