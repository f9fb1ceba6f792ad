using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace DiMint;

/// <summary>Places keys on the ring: XxHash64 of the key's UTF-8 bytes, a point in <c>[0, 2^64)</c>.</summary>
public static class KeyHash
{
    /// <summary>The hash of the key whose UTF-8 bytes are <paramref name="keyUtf8"/>.</summary>
    public static ulong Of(ReadOnlySpan<byte> keyUtf8) => XxHash64.HashToUInt64(keyUtf8);

    /// <summary>The hash of <paramref name="key"/>.</summary>
    public static ulong Of(string key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        if (max <= 512)
        {
            Span<byte> buffer = stackalloc byte[max];
            var written = Encoding.UTF8.GetBytes(key, buffer);
            return Of(buffer[..written]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var written = Encoding.UTF8.GetBytes(key, rented);
            return Of(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
