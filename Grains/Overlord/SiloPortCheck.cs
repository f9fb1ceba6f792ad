using System.Net;
using System.Net.Sockets;

namespace DiMint.Grains.Overlord;

/// <summary>
/// Tells a silo whose process is gone from one that is slow or cut off: a connection to its silo port refused (the host
/// answered that nothing listens there) means the silo's runtime is gone, and it can be failed at once instead of after
/// <see cref="Hosting.ReplicationOptions.FailoverTimeout"/> of missed probes. A timeout or an unreachable network says
/// nothing (a paused process, a partition). Only a hint for when to start a failover: a promotion's safety never rests
/// on it (the fence still waits for the replicas' promises to the old master to run out).
/// </summary>
internal static class SiloPortCheck
{
    /// <summary>Whether a connection to <paramref name="endpoint"/> is refused within <paramref name="timeout"/>.</summary>
    public static async Task<bool> RefusesAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token);
            return false;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.ConnectionRefused;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
