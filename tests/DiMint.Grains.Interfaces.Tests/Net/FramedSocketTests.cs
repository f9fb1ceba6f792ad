using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DiMint.Tests.Net;

/// <summary>Frames cross a connection whole and in order, whatever their sizes and however many senders; bad lengths end it.</summary>
public sealed class FramedSocketTests
{
    private static readonly RawBytes Bytes = new();

    [Fact]
    public async Task FramesOfAnySize_ArriveWhole_AndInOrder()
    {
        var (sender, receiver) = await PairAsync();
        int[] sizes = [0, 1, 100, 70_000, 5, 300_000, 16 * 1024, 3];
        var payloads = sizes.Select((size, i) => Payload(i, size)).ToArray();
        var received = new List<(long Id, byte[] Payload)>();
        var receiving = receiver.ReceiveAsync((id, payload) => received.Add((id, payload.ToArray())));

        for (var i = 0; i < payloads.Length; i++)
        {
            sender.Send(Bytes, i, payloads[i]);
        }

        sender.Dispose();
        await receiving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, payloads.Length).Select(i => (long)i), received.Select(r => r.Id));
        Assert.All(received, r => Assert.Equal(payloads[r.Id], r.Payload));
        Assert.True(receiver.IsClosed);
    }

    [Fact]
    public async Task ConcurrentSenders_KeepEachFrameWhole()
    {
        var (sender, receiver) = await PairAsync();
        var received = new List<(long Id, byte[] Payload)>();
        var receiving = receiver.ReceiveAsync((id, payload) => received.Add((id, payload.ToArray())));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                var id = t * 1000 + i;
                sender.Send(Bytes, id, Payload(id, 10 + (id * 37 % 3000)));
            }
        })));

        sender.Dispose();
        await receiving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1600, received.Count);
        Assert.All(received, r => Assert.Equal(Payload((int)r.Id, 10 + (int)(r.Id * 37 % 3000)), r.Payload));
        foreach (var t in Enumerable.Range(0, 8))
        {
            // One sender's frames keep their order.
            var ids = received.Where(r => r.Id / 1000 == t).Select(r => r.Id).ToArray();
            Assert.Equal(ids.Order(), ids);
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(FramedSocket.MaxFrameBytes + 1)]
    [InlineData(7)]
    [InlineData(-1)]
    public async Task ALengthOutOfBounds_EndsTheConnection_WithInvalidData(int length)
    {
        var (raw, receiver) = await RawPairAsync();
        var header = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, length);
        await raw.SendAsync(header, SocketFlags.None);
        var frames = 0;

        await Assert.ThrowsAsync<InvalidDataException>(() => receiver.ReceiveAsync((_, _) => frames++).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, frames);
        Assert.True(receiver.IsClosed);
        raw.Dispose();
    }

    [Fact]
    public async Task SendingOnAClosedConnection_ThrowsIOException()
    {
        var (sender, receiver) = await PairAsync();
        sender.Dispose();

        Assert.Throws<IOException>(() => sender.Send(Bytes, 1, [1, 2, 3]));
        receiver.Dispose();
    }

    private static byte[] Payload(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<(FramedSocket Sender, FramedSocket Receiver)> PairAsync()
    {
        var (raw, receiver) = await RawPairAsync();
        return (new FramedSocket(raw), receiver);
    }

    private static Task<(Socket Raw, FramedSocket Receiver)> RawPairAsync() => LoopbackSockets.PairAsync();

    /// <summary>Payloads that are their own bytes.</summary>
    private sealed class RawBytes : IFrameWriter<byte[]>
    {
        public void Write(byte[] value, IBufferWriter<byte> output) => output.Write(value);
    }
}
