using System.Net;
using System.Net.Sockets;
using DiMint.Grains.Overlord;

namespace DiMint.Grains.Tests.Overlord;

/// <summary>What the overlord takes for a silo whose process is gone: only a refused connection, never a slow or unreachable one.</summary>
public sealed class SiloPortCheckTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ListeningPort_IsNotRefused_ThenRefused_OnceNothingListens()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        try
        {
            Assert.False(await SiloPortCheck.RefusesAsync(endpoint, Timeout, CancellationToken.None));
        }
        finally
        {
            listener.Stop();
        }

        Assert.True(await SiloPortCheck.RefusesAsync(endpoint, Timeout, CancellationToken.None));
    }

    [Fact]
    public async Task PortThatNeverAnswers_IsNotRefused()
    {
        // A listener whose backlog is full drops further connection attempts (Linux sends no reset): like a paused or
        // cut-off silo, the attempt times out, which says nothing about the process.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var filling = new List<Socket>();
        try
        {
            // Fill the backlog (nobody accepts) until an attempt hangs.
            while (true)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                filling.Add(socket);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await socket.ConnectAsync(endpoint, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Assert.True(filling.Count < 64, "the backlog never filled");
            }

            Assert.False(await SiloPortCheck.RefusesAsync(endpoint, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        }
        finally
        {
            filling.ForEach(s => s.Dispose());
        }
    }
}
