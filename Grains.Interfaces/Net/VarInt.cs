namespace DiMint;

/// <summary>
/// Non-negative lengths and counts in 1 to 5 bytes, seven bits a byte, lowest first (LEB128): the data port's binary
/// layout (<see cref="DataPortCodec"/>) and the records of a range's entries write them so.
/// </summary>
public static class VarInt
{
    /// <summary>The most bytes a value takes.</summary>
    public const int MaxBytes = 5;

    /// <summary>How many bytes <paramref name="value"/> takes.</summary>
    public static int Length(int value) => (uint)value < 0x80 ? 1 : (uint)value < 0x4000 ? 2 : (uint)value < 0x20_0000 ? 3 : (uint)value < 0x1000_0000 ? 4 : 5;

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="span"/>; answers the bytes written.</summary>
    public static int Write(Span<byte> span, int value)
    {
        var v = (uint)value;
        var i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[i++] = (byte)v;
        return i;
    }
}
