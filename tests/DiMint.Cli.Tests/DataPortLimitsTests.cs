using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DiMint.Testing;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// A silo's data port (a real silo process) caps the connections one address holds and the requests one connection has
/// waiting: past them, connections are closed, and room comes back as they go.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class DataPortLimitsTests
{
    private const int PerAddress = 6;
    private const int InFlight = 8;
    private const int Unread = 64 * 1024;

    [Fact]
    public async Task PastItsCaps_TheDataPortClosesConnections_AndTakesNewOnesOnceOthersLeave()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(1, new Dictionary<string, string>
        {
            ["DiMint__DataPort__MaxConnectionsPerAddress"] = PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DiMint__DataPort__MaxRequestsInFlight"] = InFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DiMint__DataPort__MaxUnreadBytes"] = Unread.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var secret = ClusterSecret.FromFile(cluster.SecretFile!);
        var dataPort = IPEndPoint.Parse(DataPort().Match(Assert.Single(cluster.Listening)).Groups[1].Value);

        // Connections from one address: the first ones get the handshake's hello, the rest are closed at once.
        var open = new List<Socket>();
        try
        {
            var greeted = 0;
            var closed = 0;
            for (var i = 0; i < PerAddress + 6; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                open.Add(socket);
                await socket.ConnectAsync(dataPort);
                if (await ReadsHelloAsync(socket))
                {
                    greeted++;
                }
                else
                {
                    closed++;
                }
            }

            Assert.InRange(greeted, 1, PerAddress);
            Assert.True(closed >= 6, $"{greeted} connections greeted, {closed} closed");

            // Once they leave, a new connection gets in again.
            foreach (var socket in open)
            {
                socket.Dispose();
            }

            open.Clear();
            await DiMint.Testing.Wait.UntilAsync(
                async () =>
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(dataPort);
                    return await ReadsHelloAsync(socket);
                },
                TimeSpan.FromSeconds(30),
                "a new connection to be let in");
        }
        finally
        {
            foreach (var socket in open)
            {
                socket.Dispose();
            }
        }

        // An authenticated peer that pipelines more ring watches (each waits for a newer ring) than the cap: cut off.
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(dataPort);
        await ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(peer), secret, "the test's data port");
        await peer.SendAsync(DataPortFrames.Of(new DataPortRequest { Batches = [], RingAfter = long.MaxValue / 2 }, InFlight + 4), SocketFlags.None);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        int read;
        try
        {
            while ((read = await peer.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                // Answers to watches that completed before the cut are read and dropped.
            }
        }
        catch (SocketException)
        {
            // Reset: cut off too.
        }
        catch (OperationCanceledException)
        {
            // Still connected at the deadline: asserted below.
        }

        Assert.False(deadline.IsCancellationRequested, "the silo kept a peer with more requests in flight than its cap");

        await cluster.WaitForSiloLogAsync("that address holds its most connections", TimeSpan.FromSeconds(10));
        await cluster.WaitForSiloLogAsync($"more than {InFlight} requests waiting", TimeSpan.FromSeconds(10));

        // A peer that sends probes (answered at once) and reads none of the answers: once they fill the kernel's buffers
        // and then the silo's cap, it is cut off rather than held in memory.
        using var deaf = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await deaf.ConnectAsync(dataPort);
        await ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(deaf), secret, "the test's data port");
        var probes = DataPortFrames.Of(new DataPortRequest { Batches = [], Ping = true }, 1000);
        const string dropped = "which does not read its answers";
        try
        {
            for (var sent = 0; sent < 2000 && (sent % 50 != 0 || !cluster.SiloLogs().Contains(dropped, StringComparison.Ordinal)); sent++)
            {
                await deaf.SendAsync(probes, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // Cut off while sending.
        }

        await cluster.WaitForSiloLogAsync(dropped, TimeSpan.FromSeconds(30));
        Assert.Contains($"more than {Unread:N0}", cluster.SiloLogs(), StringComparison.Ordinal);
    }

    /// <summary>Whether the silo sends its handshake's hello (let in) rather than closing the connection (refused).</summary>
    private static async Task<bool> ReadsHelloAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var hello = new byte[4];
        try
        {
            var read = 0;
            while (read < 4)
            {
                var n = await socket.ReceiveAsync(hello.AsMemory(read), SocketFlags.None, deadline.Token);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }

            return hello.AsSpan().SequenceEqual("DMA1"u8);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"data port (\d+\.\d+\.\d+\.\d+:\d+)")]
    private static partial Regex DataPort();
}
