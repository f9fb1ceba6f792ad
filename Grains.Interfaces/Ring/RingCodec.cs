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
/// <para>
/// A delta (<see cref="EncodeDelta"/>) is what turns one version into a later one, for whoever holds the earlier
/// (<see cref="RingUpdate"/>): the magic <c>DMRD</c>, a format byte (1), the base's and the new version, the next range
/// id, a silo table as above (only the silos its new ranges name), then a count of steps, each a kind and its argument:
/// keep the base's next N ranges (0, N), drop them (1, N), or a new range (2, then the range as above). A split, a move
/// or a promotion of one range is a few dozen bytes whatever the ring's size.
/// </para>
/// </remarks>
public static class RingCodec
{
    private const byte Format = 1;
    private static readonly byte[] Magic = "DMRG"u8.ToArray();
    private static readonly byte[] DeltaMagic = "DMRD"u8.ToArray();

    private enum Step
    {
        Keep = 0,
        Drop = 1,
        New = 2,
    }

    /// <summary>Whether <paramref name="data"/> starts as an encoded ring (else it is an older, JSON, form).</summary>
    public static bool IsEncoded(ReadOnlySpan<byte> data) => data.Length >= Magic.Length + 1 && data.StartsWith(Magic);

    /// <summary>Encodes <paramref name="ring"/>.</summary>
    public static byte[] Encode(Ring ring)
    {
        var silos = new SiloTable();
        foreach (var range in ring.Ranges)
        {
            silos.Add(range);
        }

        var buffer = new List<byte>(64 + (ring.Ranges.Length * 24));
        buffer.AddRange(Magic);
        buffer.Add(Format);
        WriteVarint(buffer, (ulong)ring.Version);
        WriteVarint(buffer, (ulong)ring.NextRangeId);
        silos.WriteTo(buffer);
        WriteVarint(buffer, (ulong)ring.Ranges.Length);
        foreach (var range in ring.Ranges)
        {
            WriteRange(buffer, range, silos);
        }

        return [.. buffer];
    }

    /// <summary>Decodes a ring made by <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">The bytes are not an encoded ring, are truncated, or describe no valid ring.</exception>
    public static Ring Decode(ReadOnlySpan<byte> data)
    {
        var reader = Open(data, Magic, "an encoded ring");
        var version = reader.Count(long.MaxValue);
        var nextRangeId = (int)reader.Count(int.MaxValue);
        var table = ReadTable(ref reader, data.Length);
        var ranges = ImmutableArray.CreateBuilder<RangeInfo>((int)reader.Count(data.Length));
        if (table.Length == 0 && ranges.Capacity > 0)
        {
            throw new FormatException("The encoded ring has ranges but no silos.");
        }

        ulong start = 0;
        for (var i = 0; i < ranges.Capacity; i++)
        {
            var range = ReadRange(ref reader, table, start);
            ranges.Add(range);
            start = range.End;
        }

        return Finish(ref reader, new Ring { Version = version, Ranges = ranges.MoveToImmutable(), NextRangeId = nextRangeId });
    }

    /// <summary>
    /// What turns <paramref name="from"/> into <paramref name="to"/>: the ranges of <paramref name="to"/> that
    /// <paramref name="from"/> has the same (<see cref="RangeInfo.SameAs"/>) are kept by count, the others written out.
    /// </summary>
    public static byte[] EncodeDelta(Ring from, Ring to)
    {
        // Both rings cover [0, 2^64) in order: walk them side by side. Where they differ, drop the base's ranges and write
        // the new ones until both reach the same end, then go on from there.
        var steps = new List<(Step Kind, int Count, RangeInfo? Range)>();
        var silos = new SiloTable();
        void Add(Step kind, RangeInfo? range = null)
        {
            if (range is null && steps.Count > 0 && steps[^1].Kind == kind)
            {
                steps[^1] = (kind, steps[^1].Count + 1, null);
                return;
            }

            steps.Add((kind, 1, range));
            if (range is not null)
            {
                silos.Add(range);
            }
        }

        int i = 0, j = 0;
        var old = from.Ranges;
        var now = to.Ranges;
        while (i < old.Length && j < now.Length)
        {
            if (old[i].SameAs(now[j]))
            {
                Add(Step.Keep);
                i++;
                j++;
                continue;
            }

            // Both start at the same point here. Drop and write until the ends meet (0 is 2^64, the greatest end).
            var oldEnd = old[i].End - 1;
            var nowEnd = now[j].End - 1;
            Add(Step.Drop);
            Add(Step.New, now[j]);
            while (oldEnd != nowEnd)
            {
                if (oldEnd < nowEnd)
                {
                    oldEnd = old[++i].End - 1;
                    Add(Step.Drop);
                }
                else
                {
                    nowEnd = now[++j].End - 1;
                    Add(Step.New, now[j]);
                }
            }

            i++;
            j++;
        }

        var buffer = new List<byte>(64);
        buffer.AddRange(DeltaMagic);
        buffer.Add(Format);
        WriteVarint(buffer, (ulong)from.Version);
        WriteVarint(buffer, (ulong)to.Version);
        WriteVarint(buffer, (ulong)to.NextRangeId);
        silos.WriteTo(buffer);
        WriteVarint(buffer, (ulong)steps.Count);
        foreach (var (kind, count, range) in steps)
        {
            WriteVarint(buffer, (ulong)kind);
            if (range is null)
            {
                WriteVarint(buffer, (ulong)count);
            }
            else
            {
                WriteRange(buffer, range, silos);
            }
        }

        return [.. buffer];
    }

    /// <summary>The version a delta made by <see cref="EncodeDelta"/> applies to.</summary>
    /// <exception cref="FormatException">The bytes are not a delta.</exception>
    public static long DeltaBase(ReadOnlySpan<byte> delta) => Open(delta, DeltaMagic, "a ring delta").Count(long.MaxValue);

    /// <summary>The ring a delta made by <see cref="EncodeDelta"/> turns <paramref name="from"/> into.</summary>
    /// <exception cref="FormatException">
    /// The bytes are not a delta, are truncated, apply to another version than <paramref name="from"/>'s, or do not make a
    /// valid ring of it.
    /// </exception>
    public static Ring ApplyDelta(Ring from, ReadOnlySpan<byte> delta)
    {
        var reader = Open(delta, DeltaMagic, "a ring delta");
        var baseVersion = reader.Count(long.MaxValue);
        if (baseVersion != from.Version)
        {
            throw new FormatException($"The delta applies to ring version {baseVersion}, not {from.Version}.");
        }

        var version = reader.Count(long.MaxValue);
        var nextRangeId = (int)reader.Count(int.MaxValue);
        var table = ReadTable(ref reader, delta.Length);
        var steps = reader.Count(delta.Length);
        var old = from.Ranges;
        var ranges = ImmutableArray.CreateBuilder<RangeInfo>(old.Length);
        var i = 0;
        ulong start = 0;
        for (var step = 0; step < steps; step++)
        {
            switch ((Step)reader.Count((long)Step.New))
            {
                case Step.Keep:
                    var keep = (int)reader.Count(old.Length - i);
                    for (var k = 0; k < keep; k++)
                    {
                        ranges.Add(old[i + k]);
                    }

                    i += keep;
                    break;
                case Step.Drop:
                    i += (int)reader.Count(old.Length - i);
                    break;
                default:
                    if (table.Length == 0)
                    {
                        throw new FormatException("The ring delta has new ranges but no silos.");
                    }

                    ranges.Add(ReadRange(ref reader, table, start));
                    break;
            }

            start = ranges.Count == 0 ? 0 : ranges[^1].End;
        }

        if (i != old.Length)
        {
            throw new FormatException($"The delta accounts for {i} of the base's {old.Length} ranges.");
        }

        return Finish(ref reader, new Ring { Version = version, Ranges = ranges.ToImmutable(), NextRangeId = nextRangeId });
    }

    private static Reader Open(ReadOnlySpan<byte> data, byte[] magic, string what)
    {
        if (data.Length < magic.Length + 1 || !data.StartsWith(magic))
        {
            throw new FormatException($"Not {what}.");
        }

        if (data[magic.Length] != Format)
        {
            throw new FormatException($"Unknown format {data[magic.Length]} of {what}.");
        }

        return new Reader(data[(magic.Length + 1)..]);
    }

    private static SiloAddress[] ReadTable(ref Reader reader, int dataLength)
    {
        var table = new SiloAddress[reader.Count(dataLength)];
        for (var i = 0; i < table.Length; i++)
        {
            var text = Encoding.UTF8.GetString(reader.Bytes((int)reader.Count(dataLength)));
            try
            {
                table[i] = SiloAddress.FromParsableString(text);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new FormatException($"Silo {i} of the ring is not an address: '{text}'.", ex);
            }
        }

        return table;
    }

    private static void WriteRange(List<byte> buffer, RangeInfo range, SiloTable silos)
    {
        Span<byte> end = stackalloc byte[8];
        WriteVarint(buffer, (ulong)range.Id);
        BinaryPrimitives.WriteUInt64LittleEndian(end, range.End);
        buffer.AddRange(end);
        WriteVarint(buffer, (ulong)silos.IndexOf(range.Master));
        WriteVarint(buffer, (ulong)range.Replicas.Length);
        foreach (var replica in range.Replicas)
        {
            WriteVarint(buffer, (ulong)silos.IndexOf(replica));
        }

        WriteVarint(buffer, (ulong)range.Epoch);
        WriteVarint(buffer, (ulong)range.EmptyEpoch);
    }

    private static RangeInfo ReadRange(ref Reader reader, SiloAddress[] table, ulong start)
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
        return new RangeInfo { Id = id, Start = start, End = end, Master = master, Replicas = replicas.MoveToImmutable(), Epoch = epoch, EmptyEpoch = emptyEpoch };
    }

    private static Ring Finish(ref Reader reader, Ring ring)
    {
        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after the ring.");
        }

        try
        {
            ring.Validate();
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"The encoded ring is not valid: {ex.Message}", ex);
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

    /// <summary>Each silo address once, in the order first named; ranges refer to them by index.</summary>
    private sealed class SiloTable
    {
        private readonly Dictionary<SiloAddress, int> _indexes = [];
        private readonly List<SiloAddress> _silos = [];

        public void Add(RangeInfo range)
        {
            IndexOf(range.Master);
            foreach (var replica in range.Replicas)
            {
                IndexOf(replica);
            }
        }

        public int IndexOf(SiloAddress silo)
        {
            if (!_indexes.TryGetValue(silo, out var index))
            {
                _indexes[silo] = index = _silos.Count;
                _silos.Add(silo);
            }

            return index;
        }

        public void WriteTo(List<byte> buffer)
        {
            WriteVarint(buffer, (ulong)_silos.Count);
            foreach (var silo in _silos)
            {
                var text = Encoding.UTF8.GetBytes(silo.ToParsableString());
                WriteVarint(buffer, (ulong)text.Length);
                buffer.AddRange(text);
            }
        }
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
