using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;

namespace DiMint;

/// <summary>
/// Puts the <see cref="ClusterHandshake"/> in front of Orleans' own connections: silo to silo, and client to gateway.
/// Orleans runs a connection's middleware before its first message, so the handshake owns the first bytes both ways.
/// </summary>
public static class ClusterSecretConnections
{
    /// <summary>The client's connections to gateways prove <paramref name="secret"/>.</summary>
    public static IClientBuilder UseDiMintClusterSecret(this IClientBuilder builder, ClusterSecret secret)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(secret);
        return builder.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(c => c.ProveClusterSecret(secret)));
    }

    /// <summary>
    /// For a client without a secret: a silo that asks for one (its first bytes are the handshake's) fails the connection
    /// with <see cref="UnauthorizedException"/>, which is not retried, rather than with a protocol error retried until the
    /// connection timeout.
    /// </summary>
    public static IClientBuilder DetectClusterSecretRequired(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(c => c.DetectClusterSecretRequired()));
    }

    /// <summary>Outbound connections without a secret: see <see cref="DetectClusterSecretRequired(IClientBuilder)"/>.</summary>
    public static void DetectClusterSecretRequired(this IConnectionBuilder builder) =>
        builder.Use(next => context =>
        {
            context.Transport = new SecretRequiredDetector(context.Transport, context.RemoteEndPoint?.ToString() ?? "the silo");
            return next(context);
        });

    /// <summary>The connections of <paramref name="builder"/> (a silo's inbound ones, on <paramref name="port"/>) must prove <paramref name="secret"/>.</summary>
    public static void AcceptClusterSecret(this IConnectionBuilder builder, ClusterSecret secret, string port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(secret);
        var refusals = new RefusalLog(
            (builder.ApplicationServices.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("DiMint.ClusterSecret"),
            port);
        builder.Use(next => async context =>
        {
            var refused = await ClusterHandshake.AcceptAsync(new PipeHandshakeChannel(context.Transport), secret, context.ConnectionClosed).ConfigureAwait(false);
            if (refused is not null)
            {
                // Returning closes the connection once the refusal is written (aborting it could drop that byte).
                refusals.Refused(context.RemoteEndPoint?.ToString(), refused.Reason, log: !refused.ConnectionFailed);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>The connections of <paramref name="builder"/> (outbound ones) prove <paramref name="secret"/>.</summary>
    public static void ProveClusterSecret(this IConnectionBuilder builder, ClusterSecret secret) =>
        builder.Use(next => async context =>
        {
            // A refusal fails the connection's initialisation with this exception: Orleans hands it to whoever waits to connect.
            await ClusterHandshake.ConnectAsync(new PipeHandshakeChannel(context.Transport), secret, context.RemoteEndPoint?.ToString() ?? "the silo", context.ConnectionClosed).ConfigureAwait(false);
            await next(context).ConfigureAwait(false);
        });
}

/// <summary>The cluster secret the silo's connections prove, or none (a loopback cluster, or one allowed to run open).</summary>
public sealed record ClusterAccess(ClusterSecret? Secret)
{
    /// <summary>No secret: connections are not authenticated.</summary>
    public static readonly ClusterAccess Open = new((ClusterSecret?)null);
}

/// <summary>
/// One log line for a refused connection, at most every <see cref="Every"/> per port, with the count of those not logged:
/// a peer retrying without the secret, or a scan, cannot flood the log.
/// </summary>
public sealed partial class RefusalLog(ILogger logger, string port)
{
    /// <summary>The least time between two lines.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    /// <summary>Guards <see cref="_lastLogged"/> and <see cref="_suppressed"/>, which every connection's handshake may touch.</summary>
    private readonly Lock _lock = new();
    private long _lastLogged = long.MinValue;
    private int _suppressed;

    /// <summary>Connections refused since the listener started.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Raised by every connection's handshake: <see cref="Interlocked"/> only.</summary>
    private long _count;

    /// <summary>
    /// Records a refused connection from <paramref name="peer"/>, logging it (when <paramref name="log"/>) unless another
    /// was logged recently.
    /// </summary>
    public void Refused(string? peer, string reason, bool log = true)
    {
        Interlocked.Increment(ref _count);
        if (!log)
        {
            return;
        }

        int suppressed;
        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (_lastLogged != long.MinValue && now - _lastLogged < (long)Every.TotalMilliseconds)
            {
                _suppressed++;
                return;
            }

            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }

        LogRefused(logger, port, peer ?? "unknown", reason, suppressed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection to the {Port} from {Peer}: {Reason} ({Suppressed} more refused since the last such line)")]
    private static partial void LogRefused(ILogger logger, string port, string peer, string reason, int suppressed);
}

/// <summary>
/// An Orleans connection's transport whose first bytes from the silo are checked once: the handshake's magic means the
/// silo wants a secret this side does not have.
/// </summary>
internal sealed class SecretRequiredDetector(IDuplexPipe inner, string peer) : IDuplexPipe
{
    public PipeReader Input { get; } = new CheckingReader(inner.Input, peer);

    public PipeWriter Output => inner.Output;

    private sealed class CheckingReader(PipeReader inner, string peer) : PipeReader
    {
        private bool _checked;

        public override async ValueTask<System.IO.Pipelines.ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            while (!_checked && !result.IsCompleted && !result.IsCanceled && result.Buffer.Length < ClusterHandshake.MagicLength)
            {
                inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            Check(result);
            return result;
        }

        public override bool TryRead(out System.IO.Pipelines.ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            if (!_checked && result.Buffer.Length < ClusterHandshake.MagicLength && !result.IsCompleted)
            {
                // Not enough to tell yet: give it back and let the caller wait.
                inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return false;
            }

            Check(result);
            return true;
        }

        private void Check(System.IO.Pipelines.ReadResult result)
        {
            if (_checked || result.Buffer.Length < ClusterHandshake.MagicLength)
            {
                return;
            }

            _checked = true;
            Span<byte> first = stackalloc byte[ClusterHandshake.MagicLength];
            result.Buffer.Slice(0, ClusterHandshake.MagicLength).CopyTo(first);
            if (ClusterHandshake.IsMagic(first))
            {
                inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw new UnauthorizedException($"{peer} requires the cluster secret, and this side has none (give DimintClientOptions.ClusterSecret or --secret-file).");
            }
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
