using System.Net;
using System.Net.Sockets;

namespace DiMint.Tests.Net;

/// <summary>Both ends of a TCP connection on the loopback interface, for tests of the framing and the data-port connection.</summary>
internal static class LoopbackSockets
{
    /// <summary>A connected pair: the connecting end as a raw socket, the accepted end framed.</summary>
    public static async Task<(Socket Raw, FramedSocket Accepted)> PairAsync()
    {
        var (raw, accepted) = await RawPairAsync();
        return (raw, new FramedSocket(accepted));
    }

    /// <summary>A connected pair of raw sockets: the connecting end and the accepted end.</summary>
    public static async Task<(Socket Connecting, Socket Accepted)> RawPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accepting = listener.AcceptAsync();
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await connecting.ConnectAsync(listener.LocalEndPoint!);
        return (connecting, await accepting);
    }
}
