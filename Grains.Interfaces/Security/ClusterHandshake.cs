using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace DiMint;

/// <summary>
/// The first bytes of every connection to a silo that has a <see cref="ClusterSecret"/>, before anything of it is read as
/// a request (Orleans' own messages or a data port frame). The accepting side speaks first:
/// <list type="number">
/// <item>silo: magic <c>DMA1</c>, its nonce (32 bytes);</item>
/// <item>peer: magic, its nonce, its proof: HMAC-SHA256 under the secret of (1, silo's nonce, peer's nonce);</item>
/// <item>silo: 0 and its own proof (2, the same nonces) when the peer's was right; else 1, and it closes the connection.</item>
/// </list>
/// Fresh nonces on both sides make a recorded handshake worthless on another connection, and the silo's proof keeps a
/// peer from sending data to an impostor. The handshake authenticates; it does not encrypt (TLS does, when configured).
/// A peer that says nothing for <see cref="Timeout"/> is dropped, so a silent connection cannot be held open.
/// </summary>
public static class ClusterHandshake
{
    /// <summary>How long either side waits for the other's part of the handshake.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a refused peer is given to hang up before the silo closes the connection.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    /// <summary>The most a refused peer may send while it lingers.</summary>
    private const int LingerBytes = 64 * 1024;

    private const int NonceBytes = 32;
    private const int ProofBytes = 32;
    private const byte PeerRole = 1;
    private const byte SiloRole = 2;
    private const byte Accepted = 0;
    private const byte Refused = 1;
    private static ReadOnlySpan<byte> Magic => "DMA1"u8;

    /// <summary>The length of the magic a silo's handshake begins with.</summary>
    internal const int MagicLength = 4;

    /// <summary>Whether <paramref name="first"/> is the magic a silo's handshake begins with.</summary>
    internal static bool IsMagic(ReadOnlySpan<byte> first) => first.SequenceEqual(Magic);

    /// <summary>
    /// The silo's side. Returns null when the peer proved the secret, else why it was refused (the caller closes the
    /// connection, and logs a refusal that was not a mere connection failure).
    /// </summary>
    public static async Task<HandshakeRefusal?> AcceptAsync(IHandshakeChannel channel, ClusterSecret secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(secret);
        using var deadline = Deadline(cancellationToken, Timeout);
        try
        {
            var hello = new byte[Magic.Length + NonceBytes];
            Magic.CopyTo(hello);
            var siloNonce = hello.AsMemory(Magic.Length);
            RandomNumberGenerator.Fill(siloNonce.Span);
            await channel.SendAsync(hello, deadline.Token).ConfigureAwait(false);

            var answer = new byte[Magic.Length + NonceBytes + ProofBytes];
            if (!await channel.ReceiveExactlyAsync(answer, deadline.Token).ConfigureAwait(false))
            {
                return new("it closed the connection during the handshake", ConnectionFailed: true);
            }

            if (!IsMagic(answer.AsSpan(0, MagicLength)))
            {
                await RefuseAsync(channel, cancellationToken).ConfigureAwait(false);
                return new("it did not start the DiMint handshake (not a DiMint peer, or one without the cluster secret)", ConnectionFailed: false);
            }

            var peerNonce = answer.AsMemory(Magic.Length, NonceBytes);
            var expected = secret.Prove(PeerRole, siloNonce.Span, peerNonce.Span);
            if (!CryptographicOperations.FixedTimeEquals(expected, answer.AsSpan(Magic.Length + NonceBytes)))
            {
                await RefuseAsync(channel, cancellationToken).ConfigureAwait(false);
                return new("it does not hold the cluster secret", ConnectionFailed: false);
            }

            var accepted = new byte[1 + ProofBytes];
            accepted[0] = Accepted;
            secret.Prove(SiloRole, siloNonce.Span, peerNonce.Span).CopyTo(accepted, 1);
            await channel.SendAsync(accepted, deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new($"it did not complete the handshake within {Timeout.TotalSeconds:0} s", ConnectionFailed: false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return new($"the connection failed during the handshake: {ex.Message}", ConnectionFailed: true);
        }
    }

    /// <summary>A token cancelled by <paramref name="cancellationToken"/> or after <paramref name="after"/>.</summary>
    private static CancellationTokenSource Deadline(CancellationToken cancellationToken, TimeSpan after)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(after);
        return deadline;
    }

    /// <summary>
    /// Tells the peer it was refused, and gives it up to <see cref="Linger"/> to hang up first: closing at once could
    /// reset the connection before the refusal left (what the peer sent after its proof is unread), and the peer would
    /// not learn why.
    /// </summary>
    private static async Task RefuseAsync(IHandshakeChannel channel, CancellationToken cancellationToken)
    {
        using var linger = Deadline(cancellationToken, Linger);
        try
        {
            await channel.SendAsync(new[] { Refused }, linger.Token).ConfigureAwait(false);
            var scratch = new byte[1];
            for (var read = 0; read < LingerBytes && await channel.ReceiveExactlyAsync(scratch, linger.Token).ConfigureAwait(false); read++)
            {
                // Discarded: nothing a refused peer sends is read as anything.
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // It did not hang up in time: closed anyway.
        }
    }

    /// <summary>The connecting side: proves the secret to the silo <paramref name="peer"/>, and checks the silo's proof.</summary>
    /// <exception cref="UnauthorizedException">The silo refused this side's proof, or did not prove the secret itself.</exception>
    public static async Task ConnectAsync(IHandshakeChannel channel, ClusterSecret secret, string peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(secret);
        using var deadline = Deadline(cancellationToken, Timeout);
        try
        {
            var hello = new byte[Magic.Length + NonceBytes];
            if (!await channel.ReceiveExactlyAsync(hello, deadline.Token).ConfigureAwait(false))
            {
                throw new IOException($"{peer} closed the connection before the DiMint handshake.");
            }

            if (!IsMagic(hello.AsSpan(0, MagicLength)))
            {
                throw new UnauthorizedException($"{peer} did not start the DiMint handshake: it is not a DiMint silo with a cluster secret.");
            }

            var siloNonce = hello.AsMemory(Magic.Length);
            var answer = new byte[Magic.Length + NonceBytes + ProofBytes];
            Magic.CopyTo(answer);
            var peerNonce = answer.AsMemory(Magic.Length, NonceBytes);
            RandomNumberGenerator.Fill(peerNonce.Span);
            secret.Prove(PeerRole, siloNonce.Span, peerNonce.Span).CopyTo(answer, Magic.Length + NonceBytes);
            await channel.SendAsync(answer, deadline.Token).ConfigureAwait(false);

            var verdict = new byte[1];
            if (!await channel.ReceiveExactlyAsync(verdict, deadline.Token).ConfigureAwait(false) || verdict[0] != Accepted)
            {
                throw new UnauthorizedException($"{peer} refused the connection: this side's cluster secret is not the cluster's.");
            }

            var proof = new byte[ProofBytes];
            if (!await channel.ReceiveExactlyAsync(proof, deadline.Token).ConfigureAwait(false))
            {
                throw new IOException($"{peer} closed the connection during the DiMint handshake.");
            }

            if (!CryptographicOperations.FixedTimeEquals(proof, secret.Prove(SiloRole, siloNonce.Span, peerNonce.Span)))
            {
                throw new UnauthorizedException($"{peer} does not hold the cluster secret: nothing is sent to it.");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UnauthorizedException(
                $"{peer} did not complete the DiMint handshake within {Timeout.TotalSeconds:0} s: it may run without a cluster secret, or be paused.");
        }
    }
}

/// <summary>
/// Why a silo refused a connection's handshake. <paramref name="ConnectionFailed"/>: the connection broke or closed
/// during it (a partition, a peer that went away), which is counted but not logged as a refusal.
/// </summary>
public sealed record HandshakeRefusal(string Reason, bool ConnectionFailed);

/// <summary>Where a <see cref="ClusterHandshake"/> reads and writes: a socket, or an Orleans connection's pipes.</summary>
public interface IHandshakeChannel
{
    /// <summary>Sends all of <paramref name="bytes"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Fills <paramref name="buffer"/>, reading no further; false when the peer closed the connection first.</summary>
    ValueTask<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>
/// A handshake over a connection's stream (a data port connection before its frames: the socket's own stream, or TLS over
/// it). The stream stays open when the handshake ends.
/// </summary>
public sealed class StreamHandshakeChannel(Stream stream) : IHandshakeChannel
{
    /// <summary>A handshake over <paramref name="socket"/>, in plain text.</summary>
    public StreamHandshakeChannel(Socket socket)
        : this(new NetworkStream(socket, ownsSocket: false))
    {
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) == buffer.Length;
}

/// <summary>A handshake over an Orleans connection's transport, before Orleans reads or writes anything on it.</summary>
public sealed class PipeHandshakeChannel(IDuplexPipe transport) : IHandshakeChannel
{
    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var flushed = await transport.Output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var input = transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var available = read.Buffer;
            if (available.Length >= buffer.Length)
            {
                // Take exactly what the handshake needs: what follows is Orleans' to read.
                var part = available.Slice(0, buffer.Length);
                part.CopyTo(buffer.Span);
                input.AdvanceTo(part.End);
                return true;
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                input.AdvanceTo(available.Start, available.End);
                if (read.IsCanceled)
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                return false;
            }

            input.AdvanceTo(available.Start, available.End);
        }
    }
}
