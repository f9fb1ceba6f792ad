using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DiMint.Testing;

/// <summary>
/// Data port frames as a raw peer writes them (<see cref="FramedSocket"/>'s format: length, request id, payload), for
/// tests that talk to a silo's data port without DiMint's client.
/// </summary>
public static class DataPortFrames
{
    private static readonly IServiceProvider Services =
        new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(DataPortRequest).Assembly)).BuildServiceProvider();

    /// <summary>The serializer of the requests' payloads.</summary>
    public static Serializer<DataPortRequest> Requests { get; } = Services.GetRequiredService<Serializer<DataPortRequest>>();

    /// <summary>The serializer of the answers' payloads.</summary>
    public static Serializer<DataPortAnswer> Answers { get; } = Services.GetRequiredService<Serializer<DataPortAnswer>>();

    /// <summary>The codec of the payloads, as silos and clients write and read them.</summary>
    public static DataPortCodec Codec { get; } = new(Requests, Answers);

    /// <summary>A request's payload as a client or silo writes it.</summary>
    public static byte[] Payload(DataPortRequest request)
    {
        var payload = new ArrayBufferWriter<byte>();
        Codec.Write(request, payload);
        return payload.WrittenSpan.ToArray();
    }

    /// <summary><paramref name="count"/> frames of <paramref name="request"/> back to back, with ids 1 to <paramref name="count"/>.</summary>
    public static byte[] Of(DataPortRequest request, int count = 1)
    {
        var payload = Payload(request);
        var size = 12 + payload.Length;
        var frames = new byte[count * size];
        for (var id = 1; id <= count; id++)
        {
            var frame = frames.AsSpan((id - 1) * size, size);
            BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length + 8);
            BinaryPrimitives.WriteInt64LittleEndian(frame[4..], id);
            payload.CopyTo(frame[12..]);
        }

        return frames;
    }
}
