using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace DiMint;

/// <summary>
/// The ring as the overlord stores it (a znode in ZooKeeper, a file for a local cluster) and as it travels
/// (<see cref="RingWireForm"/>): a compact binary form, about 20 bytes a range, where Orleans' JSON took about 530 (a
/// ring of 10,000 ranges was 5 MB, five times a znode's default limit of 1 MB; now about 200 KB) and Orleans' wire
/// serializer about 64. Each silo address is written once, in a table the ranges refer to by index; a range
/// stores only its end (it starts where the one before ends). All integers but the ends are unsigned LEB128 varints.
/// </summary>
/// <remarks>
/// Layout: the magic <c>DMRG</c>, a format byte (1), the ring's version and next range id, the silo table (a count,
/// then each silo's parsable address as a length-prefixed UTF-8 string), the range count, then per range: its id, its
/// end (8 bytes, little-endian; 0 for the last), its master's index, its replica count and their indexes, its epoch and
/// its empty epoch. Decoding checks every length and index and that the ranges cover the ring once.
/// </remarks>
public static class RingCodec
{
    private const byte Format = 1;
    private static readonly byte[] Magic = "DMRG"u8.ToArray();

    /// <summary>Whether <paramref name="data"/> starts as an encoded ring (else it is an older, JSON, form).</summary>
    public static bool IsEncoded(ReadOnlySpan<byte> data) => data.Length >= Magic.Length + 1 && data.StartsWith(Magic);

    /// <summary>Encodes <paramref name="ring"/>.</summary>
    public static byte[] Encode(Ring ring)
    {
        var silos = new Dictionary<SiloAddress, int>();
        var table = new List<SiloAddress>();
        int IndexOf(SiloAddress silo)
        {
            if (!silos.TryGetValue(silo, out var index))
            {
                silos[silo] = index = table.Count;
                table.Add(silo);
            }

            return index;
        }

        foreach (var range in ring.Ranges)
        {
            IndexOf(range.Master);
            foreach (var replica in range.Replicas)
            {
                IndexOf(replica);
            }
        }

        var buffer = new List<byte>(64 + (ring.Ranges.Length * 24));
        buffer.AddRange(Magic);
        buffer.Add(Format);
        WriteVarint(buffer, (ulong)ring.Version);
        WriteVarint(buffer, (ulong)ring.NextRangeId);
        WriteVarint(buffer, (ulong)table.Count);
        foreach (var silo in table)
        {
            var text = Encoding.UTF8.GetBytes(silo.ToParsableString());
            WriteVarint(buffer, (ulong)text.Length);
            buffer.AddRange(text);
        }

        WriteVarint(buffer, (ulong)ring.Ranges.Length);
        Span<byte> end = stackalloc byte[8];
        foreach (var range in ring.Ranges)
        {
            WriteVarint(buffer, (ulong)range.Id);
            BinaryPrimitives.WriteUInt64LittleEndian(end, range.End);
            buffer.AddRange(end);
            WriteVarint(buffer, (ulong)silos[range.Master]);
            WriteVarint(buffer, (ulong)range.Replicas.Length);
            foreach (var replica in range.Replicas)
            {
                WriteVarint(buffer, (ulong)silos[replica]);
            }

            WriteVarint(buffer, (ulong)range.Epoch);
            WriteVarint(buffer, (ulong)range.EmptyEpoch);
        }

        return [.. buffer];
    }

    /// <summary>Decodes a ring made by <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">The bytes are not an encoded ring, are truncated, or describe no valid ring.</exception>
    public static Ring Decode(ReadOnlySpan<byte> data)
    {
        if (!IsEncoded(data))
        {
            throw new FormatException("Not an encoded ring.");
        }

        if (data[Magic.Length] != Format)
        {
            throw new FormatException($"Unknown ring format {data[Magic.Length]}.");
        }

        var reader = new Reader(data[(Magic.Length + 1)..]);
        var version = reader.Count(long.MaxValue);
        var nextRangeId = (int)reader.Count(int.MaxValue);
        var table = new SiloAddress[reader.Count(data.Length)];
        for (var i = 0; i < table.Length; i++)
        {
            var text = Encoding.UTF8.GetString(reader.Bytes((int)reader.Count(data.Length)));
            try
            {
                table[i] = SiloAddress.FromParsableString(text);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new FormatException($"Silo {i} of the ring is not an address: '{text}'.", ex);
            }
        }

        var ranges = ImmutableArray.CreateBuilder<RangeInfo>((int)reader.Count(data.Length));
        if (table.Length == 0 && ranges.Capacity > 0)
        {
            throw new FormatException("The encoded ring has ranges but no silos.");
        }

        ulong start = 0;
        for (var i = 0; i < ranges.Capacity; i++)
        {
            var id = (int)reader.Count(int.MaxValue);
            var end = BinaryPrimitives.ReadUInt64LittleEndian(reader.Bytes(8));
            var master = table[reader.Count(table.Length - 1)];
            var replicas = ImmutableArray.CreateBuilder<SiloAddress>((int)reader.Count(table.Length));
            for (var r = 0; r < replicas.Capacity; r++)
            {
                replicas.Add(table[reader.Count(table.Length - 1)]);
            }

            var epoch = reader.Count(long.MaxValue);
            var emptyEpoch = reader.Count(long.MaxValue);
            ranges.Add(new RangeInfo { Id = id, Start = start, End = end, Master = master, Replicas = replicas.MoveToImmutable(), Epoch = epoch, EmptyEpoch = emptyEpoch });
            start = end;
        }

        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after the ring.");
        }

        var ring = new Ring { Version = version, Ranges = ranges.MoveToImmutable(), NextRangeId = nextRangeId };
        try
        {
            ring.Validate();
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"The stored ring is not valid: {ex.Message}", ex);
        }

        return ring;
    }

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        /// <summary>A varint no greater than <paramref name="max"/>.</summary>
        public long Count(long max)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (_rest.IsEmpty)
                {
                    throw new FormatException("The encoded ring is truncated.");
                }

                if (shift > 63)
                {
                    throw new FormatException("A number in the encoded ring is too long.");
                }

                var b = _rest[0];
                _rest = _rest[1..];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            return value > (ulong)max ? throw new FormatException($"A number in the encoded ring is out of range: {value} > {max}.") : (long)value;
        }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (_rest.Length < count)
            {
                throw new FormatException("The encoded ring is truncated.");
            }

            var bytes = _rest[..count];
            _rest = _rest[count..];
            return bytes;
        }
    }
}
