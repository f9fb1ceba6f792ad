using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DiMint.Testing;
using Xunit.Abstractions;

namespace DiMint.Grains.Tests.Batching;

/// <summary>
/// Random, truncated, mutated, oversized and replayed frames on the data ports: the silos keep serving, store nothing a
/// broken frame carried, hold no memory for frames announced but not sent, and leak no connection.
/// </summary>
public sealed partial class DataPortTests
{
    [Fact]
    public async Task Fuzzing_TheDataPorts_LeavesThemServing_WithNoConnectionOrMemoryHeld()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var ports = Listeners().Select(l => l.Port).ToArray();
        var prefix = TestKeys.Prefix();

        // The client's own connections (and the silos' to each other) open first, so that what is left open afterwards is the fuzzing's.
        await WritesOnTheDataPortsAsync(client, prefix + "before:");
        var openBefore = Listeners().Sum(l => l.OpenConnections);
        // What the receive buffers hold (no forced collection: a blocking GC of the whole test process pauses every silo).
        var buffersBefore = FramedSocket.ReceiveBufferBytes;
        var valid = WriteFrame(ring, Enumerable.Range(0, 8).ToDictionary(i => $"{prefix}truncated:{i}", i => new string('v', 100 + i)));

        // Mutated frames may still decode to a write (of anything): they get keys of their own.
        var mutable = WriteFrame(ring, Enumerable.Range(0, 8).ToDictionary(i => $"{prefix}mutated:{i}", i => new string('m', 100 + i)));

        // Frames announced at up to the largest size, with only their first bytes sent, held open together.
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var header = new byte[12];
                BinaryPrimitives.WriteInt32LittleEndian(header, FramedSocket.MaxFrameBytes - random.Next(1024));
                held.Add(await SendAsync(ports[i % ports.Length], [.. header, .. RandomBytes(random, 100)], close: false));
            }

            await Wait.UntilAsync(() => Listeners().Sum(l => l.OpenConnections) >= openBefore + held.Count, Timeout, "the held connections to be open");
            var memoryHeld = FramedSocket.ReceiveBufferBytes - buffersBefore;
            Assert.True(memoryHeld < 64L * 1024 * 1024, $"{held.Count} announced frames of 128 MiB hold {memoryHeld / (1024 * 1024)} MiB of receive buffers (seed {seed})");

            // Meanwhile, hundreds of connections with broken frames; each closes.
            for (var round = 0; round < 10; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
                {
                    byte[] bytes;
                    lock (random)
                    {
                        bytes = (i % 5) switch
                        {
                            0 => RandomBytes(random, random.Next(1, 4096)),                              // noise
                            1 => valid[..random.Next(1, valid.Length)],                                  // truncated
                            2 => Mutated(random, mutable),                                                 // bytes flipped
                            3 => LengthOnly(random.Next(2) == 0 ? random.Next(-1000, 8) : FramedSocket.MaxFrameBytes + 1 + random.Next(1000)), // out of bounds
                            _ => [.. valid[..12], .. RandomBytes(random, valid.Length - 12)],           // a frame of noise
                        };
                    }

                    using var socket = await SendAsync(ports[i % ports.Length], bytes, close: true);
                }));
            }

            // A valid frame sent twice on one connection: both answered, the writes applied once as the same values.
            var replayed = WriteFrame(ring, new() { [prefix + "replayed"] = "once" });
            using (var socket = await SendAsync(ports[0], [.. replayed, .. replayed], close: false))
            {
                var answers = 0;
                var buffer = new byte[64 * 1024];
                var received = 0;
                using var deadline = new CancellationTokenSource(Timeout);
                while (answers < 2)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, deadline.Token);
                    Assert.True(read > 0, $"the silo closed the connection after {answers} answers to a replayed frame");
                    received += read;
                    answers = WholeFrames(buffer.AsSpan(0, received));
                }
            }

            Assert.Equal("once", await client.GetAsync<string>(prefix + "replayed"));
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        // Every connection is gone, the truncated write stored nothing, and the ports still serve.
        await Wait.UntilAsync(() => Listeners().Sum(l => l.OpenConnections) <= openBefore, Timeout, $"the fuzzing connections to close (seed {seed})");
        for (var i = 0; i < 8; i++)
        {
            Assert.False((await client.TryGetAsync<string>($"{prefix}truncated:{i}")).Found, $"a truncated frame stored key {i} (seed {seed})");
        }

        await WritesOnTheDataPortsAsync(client, prefix + "after:");
        Assert.Equal(7, await client.GetAsync<int>($"{prefix}after:7"));
    }

    /// <summary>Writes keys under <paramref name="prefix"/> until some of the client's batches went on the data ports.</summary>
    private Task WritesOnTheDataPortsAsync(DiMint.Client.DimintClient client, string prefix)
    {
        var before = ClientRequests();
        return Wait.UntilAsync(
            async () =>
            {
                await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.SetAsync($"{prefix}{i}", i)));
                return ClientRequests() > before;
            },
            Timeout,
            "batches on the data ports");
    }

    /// <summary>Connects to <paramref name="port"/> and sends <paramref name="bytes"/>; with <paramref name="close"/>, waits until the silo closes it.</summary>
    private static async Task<Socket> SendAsync(int port, byte[] bytes, bool close)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(bytes, SocketFlags.None);
        if (close)
        {
            // A broken frame makes the silo close; a frame cut short is ended here, and the silo sees the end.
            socket.Shutdown(SocketShutdown.Send);
            using var deadline = new CancellationTokenSource(Timeout);
            var buffer = new byte[4096];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
                {
                    // Answers to whatever decoded as a request are read and dropped.
                }
            }
            catch (SocketException)
            {
                // Reset: closed.
            }
        }

        return socket;
    }

    private static int WholeFrames(ReadOnlySpan<byte> bytes)
    {
        var frames = 0;
        while (bytes.Length >= 4 && bytes.Length >= 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes))
        {
            bytes = bytes[(4 + BinaryPrimitives.ReadInt32LittleEndian(bytes))..];
            frames++;
        }

        return frames;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutated(Random random, byte[] frame)
    {
        var copy = frame.ToArray();
        for (var flips = random.Next(1, 8); flips > 0; flips--)
        {
            copy[12 + random.Next(copy.Length - 12)] ^= (byte)random.Next(1, 256);
        }

        return copy;
    }

    private static byte[] LengthOnly(int length)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, length);
        return header;
    }
}
