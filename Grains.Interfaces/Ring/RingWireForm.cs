using System.Runtime.CompilerServices;
using Orleans.Serialization.Cloning;

namespace DiMint;

/// <summary>
/// How a <see cref="Ring"/> travels between silos and clients, in Orleans messages and on the data ports (a ring watch's
/// answer, a Moved answer, a fence's verdict): <see cref="RingCodec"/>'s compact form, about 17 bytes a range where
/// Orleans' own serializer wrote about 64 (a ring of 10,000 ranges over 200 silos: 174 KB instead of 641 KB, sent to
/// every client that asks after each change). A ring is encoded once, however often it is sent.
/// </summary>
[GenerateSerializer]
public struct RingWireForm
{
    /// <summary>The ring as <see cref="RingCodec.Encode"/> wrote it.</summary>
    [Id(0)]
    public byte[] Encoded;
}

/// <summary>Turns a <see cref="Ring"/> into its <see cref="RingWireForm"/> and back, for Orleans' serializer.</summary>
[RegisterConverter]
public sealed class RingWireConverter : IConverter<Ring, RingWireForm>
{
    /// <summary>Each ring's encoding, kept while the ring lives: the same ring goes to many clients.</summary>
    private static readonly ConditionalWeakTable<Ring, byte[]> Encoded = [];

    /// <inheritdoc/>
    public Ring ConvertFromSurrogate(in RingWireForm surrogate) =>
        RingCodec.Decode(surrogate.Encoded ?? throw new FormatException("A ring arrived without its bytes."));

    /// <inheritdoc/>
    public RingWireForm ConvertToSurrogate(in Ring value) =>
        new() { Encoded = Encoded.GetValue(value, static ring => RingCodec.Encode(ring)) };
}

/// <summary>A ring is immutable: within a process, Orleans hands the same object on rather than a copy.</summary>
[RegisterCopier]
public sealed class RingCopier : ShallowCopier<Ring>;
