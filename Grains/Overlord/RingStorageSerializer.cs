using Orleans.Storage;

namespace DiMint.Grains.Overlord;

/// <summary>
/// The ring storage's serializer: the ring in <see cref="RingCodec"/>'s compact form, everything else (the overlord's
/// lease) as the silo's default serializer has it. A ring stored by an older version (JSON) is still read.
/// </summary>
internal sealed class RingStorageSerializer(IGrainStorageSerializer inner) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) =>
        input is RingState { Ring: { } ring } ? new BinaryData(RingCodec.Encode(ring)) : inner.Serialize(input);

    public T? Deserialize<T>(BinaryData input)
    {
        var bytes = input.ToMemory();
        return typeof(T) == typeof(RingState) && RingCodec.IsEncoded(bytes.Span)
            ? (T)(object)new RingState { Ring = RingCodec.Decode(bytes.Span) }
            : inner.Deserialize<T>(input);
    }
}
