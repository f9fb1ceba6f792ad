using System.Buffers.Binary;
using System.IO.Hashing;

namespace DiMint;

/// <summary>
/// A stored value with an expiry: the byte <see cref="Marker"/> (0xC1, which MessagePack never uses, so no plain value
/// starts with it), the absolute expiry time in Unix milliseconds (8 bytes, big-endian), then the value's own bytes.
/// The master decides the expiry time by its clock and stores the wrapped bytes, which travel unchanged through
/// replication, snapshots, moves, splits and merges like any value's bytes. Every copy treats an expired value as
/// missing when it reads, by its own clock: the silos' clocks are assumed to agree (NTP) to well under the shortest
/// expiry anyone sets.
/// </summary>
public static class ValueExpiry
{
    /// <summary>The first byte of a value with an expiry.</summary>
    public const byte Marker = 0xC1;

    /// <summary>The bytes the expiry adds in front of the value.</summary>
    public const int HeaderSize = 9;

    /// <summary>The longest expiry accepted: 100 years, so an expiry time never overflows.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(36_500);

    /// <summary>The time expiry is decided by: Unix milliseconds of <see cref="TimeProvider.System"/>.</summary>
    public static long NowMs() => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whether <paramref name="stored"/> carries an expiry.</summary>
    public static bool HasExpiry(ReadOnlySpan<byte> stored) => stored.Length >= HeaderSize && stored[0] == Marker;

    /// <summary>When <paramref name="stored"/> expires (Unix milliseconds), or null when it does not.</summary>
    public static long? ExpiresAt(ReadOnlySpan<byte> stored) =>
        HasExpiry(stored) ? BinaryPrimitives.ReadInt64BigEndian(stored[1..HeaderSize]) : null;

    /// <summary>Whether <paramref name="stored"/> has expired at <paramref name="nowMs"/> (it is gone from that millisecond on).</summary>
    public static bool IsExpired(ReadOnlySpan<byte> stored, long nowMs) =>
        stored.Length >= HeaderSize && stored[0] == Marker && BinaryPrimitives.ReadInt64BigEndian(stored[1..HeaderSize]) <= nowMs;

    /// <summary>The value's own bytes (what <see cref="ValueCodec"/> decodes), without the expiry.</summary>
    public static ReadOnlyMemory<byte> Inner(ReadOnlyMemory<byte> stored) => HasExpiry(stored.Span) ? stored[HeaderSize..] : stored;

    /// <summary>The value's own bytes, without the expiry.</summary>
    public static ReadOnlySpan<byte> Inner(ReadOnlySpan<byte> stored) => HasExpiry(stored) ? stored[HeaderSize..] : stored;

    /// <summary>The stored form of <paramref name="value"/> (a value's own bytes, or stored bytes whose expiry is replaced) expiring at <paramref name="expiresAtMs"/>.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> value, long expiresAtMs)
    {
        var inner = Inner(value);
        var stored = new byte[HeaderSize + inner.Length];
        stored[0] = Marker;
        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(1, 8), expiresAtMs);
        inner.CopyTo(stored.AsSpan(HeaderSize));
        return stored;
    }

    /// <summary>The stored form of <paramref name="stored"/> without its expiry (itself when it has none).</summary>
    public static byte[] Strip(byte[] stored) => HasExpiry(stored) ? stored[HeaderSize..] : stored;

    /// <summary>
    /// The version of a stored value: XxHash64 of its own bytes (the expiry does not count). It changes whenever the value
    /// does, and comes back when a value is written again, as a content hash does (an HTTP ETag, say).
    /// </summary>
    public static ulong VersionOf(ReadOnlySpan<byte> stored) => XxHash64.HashToUInt64(Inner(stored));

    /// <summary>The expiry time of a value written at <paramref name="nowMs"/> to live <paramref name="ttl"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The expiry is not positive or longer than <see cref="MaxTtl"/>.</exception>
    public static long ExpiryFor(TimeSpan ttl, long nowMs)
    {
        CheckTtl(ttl);
        return nowMs + Math.Max(1, (long)ttl.TotalMilliseconds);
    }

    /// <summary>Throws unless <paramref name="ttl"/> is a positive expiry no longer than <see cref="MaxTtl"/>.</summary>
    public static void CheckTtl(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero || ttl > MaxTtl)
        {
            throw new InvalidExpiryException(ttl);
        }
    }
}
