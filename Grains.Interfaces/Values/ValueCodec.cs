using System.Buffers;
using System.Collections;
using MessagePack;

namespace DiMint;

/// <summary>
/// Encodes values to the bytes the store keeps, and decodes them back with the same shape and element types.
/// The format is MessagePack: nil, bool, int64, float64, str, bin, array and map map directly; a set is the
/// extension type <see cref="SetExtensionType"/> wrapping an array. Stored bytes are never re-encoded on the server,
/// so replication and moves copy them as they are.
/// </summary>
/// <remarks>
/// Decoded values are <c>null</c>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <see cref="string"/>,
/// <c>byte[]</c>, <c>List&lt;object?&gt;</c>, <c>Dictionary&lt;object, object?&gt;</c> and <c>HashSet&lt;object?&gt;</c>
/// (the last two compare elements with <see cref="ValueComparer"/>).
/// </remarks>
public static class ValueCodec
{
    /// <summary>The MessagePack extension type code of a set.</summary>
    public const sbyte SetExtensionType = 1;

    /// <summary>How deeply lists, dictionaries and sets may nest.</summary>
    public const int MaxDepth = 64;

    /// <summary>Encodes <paramref name="value"/>.</summary>
    /// <exception cref="UnsupportedValueTypeException">The value holds a type that cannot be stored, or a cycle.</exception>
    /// <exception cref="LimitExceededException">The value nests deeper than <see cref="MaxDepth"/>.</exception>
    public static byte[] Encode(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        var path = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Write(ref writer, value, path, depth: 0);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes <paramref name="value"/> and checks the result against <paramref name="maxValueBytes"/>.</summary>
    /// <exception cref="LimitExceededException">The encoded value is larger than the limit.</exception>
    public static byte[] Encode(object? value, int maxValueBytes)
    {
        var bytes = Encode(value);
        CheckSize(bytes.Length, maxValueBytes);
        return bytes;
    }

    /// <summary>Throws when an encoded value of <paramref name="length"/> bytes is over the limit.</summary>
    public static void CheckSize(int length, int maxValueBytes)
    {
        if (length > maxValueBytes)
        {
            throw new LimitExceededException(LimitKind.ValueSize, length, maxValueBytes);
        }
    }

    /// <summary>Decodes bytes made by <see cref="Encode(object?)"/>, as stored (an expiry in front, <see cref="ValueExpiry"/>, is skipped).</summary>
    /// <exception cref="FormatException">The bytes are not a DiMint value.</exception>
    public static object? Decode(ReadOnlyMemory<byte> bytes)
    {
        bytes = ValueExpiry.Inner(bytes);
        try
        {
            var reader = new MessagePackReader(bytes);
            var value = Read(ref reader, depth: 0);
            if (!reader.End)
            {
                throw new FormatException("Trailing bytes after the encoded value.");
            }

            return value;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new FormatException("The bytes are not a valid DiMint value.", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new FormatException("The encoded value is truncated.", ex);
        }
    }

    /// <summary>The DiMint name of a decoded value's type, as shown in errors and by the CLI.</summary>
    public static string KindOf(object? value) => value switch
    {
        null => "null",
        bool => "bool",
        long => "integer",
        double => "double",
        string => "string",
        byte[] => "bytes",
        HashSet<object?> => "set",
        Dictionary<object, object?> => "dictionary",
        List<object?> => "list",
        _ => value.GetType().Name,
    };

    private static void Write(ref MessagePackWriter writer, object? value, HashSet<object> path, int depth)
    {
        switch (value)
        {
            case null:
                writer.WriteNil();
                return;
            case bool b:
                writer.Write(b);
                return;
            case long l:
                writer.Write(l);
                return;
            case int i:
                writer.Write((long)i);
                return;
            case short s:
                writer.Write((long)s);
                return;
            case sbyte sb:
                writer.Write((long)sb);
                return;
            case byte by:
                writer.Write((long)by);
                return;
            case ushort us:
                writer.Write((long)us);
                return;
            case uint ui:
                writer.Write((long)ui);
                return;
            case ulong ul:
                if (ul > long.MaxValue)
                {
                    throw new UnsupportedValueTypeException(typeof(ulong).FullName!, $"{ul} is outside the 64-bit signed integer range.");
                }

                writer.Write((long)ul);
                return;
            case double d:
                writer.Write(d);
                return;
            case float f:
                writer.Write((double)f);
                return;
            case string str:
                writer.Write(str);
                return;
            case char c:
                writer.Write(c.ToString());
                return;
            case byte[] bytes:
                writer.Write(bytes);
                return;
            case ReadOnlyMemory<byte> rom:
                writer.Write(rom.Span);
                return;
            case Memory<byte> mem:
                writer.Write(mem.Span);
                return;
            case ArraySegment<byte> seg:
                writer.Write(seg.AsSpan());
                return;
        }

        if (value is decimal)
        {
            throw new UnsupportedValueTypeException(typeof(decimal).FullName!, "store a double or a string instead.");
        }

        if (value is not IEnumerable enumerable || value is Stream)
        {
            throw new UnsupportedValueTypeException(
                value.GetType().FullName ?? value.GetType().Name,
                "only null, bool, integers, doubles, strings, bytes, lists, dictionaries and sets can be stored.");
        }

        if (depth >= MaxDepth)
        {
            throw new LimitExceededException(LimitKind.NestingDepth, depth + 1, MaxDepth);
        }

        if (!path.Add(value))
        {
            throw new UnsupportedValueTypeException(value.GetType().FullName ?? value.GetType().Name, "the value contains a cycle.");
        }

        try
        {
            var shape = CollectionShape.Of(value.GetType());
            if (shape == CollectionKind.Dictionary)
            {
                WriteMap(ref writer, value, path, depth);
            }
            else if (shape == CollectionKind.Set)
            {
                var items = Materialize(enumerable);
                var inner = new ArrayBufferWriter<byte>(16 + items.Count * 8);
                var innerWriter = writer.Clone(inner);
                WriteArray(ref innerWriter, items, path, depth);
                innerWriter.Flush();
                writer.WriteExtensionFormat(new ExtensionResult(SetExtensionType, new ReadOnlySequence<byte>(inner.WrittenMemory)));
            }
            else
            {
                WriteArray(ref writer, Materialize(enumerable), path, depth);
            }
        }
        finally
        {
            path.Remove(value);
        }
    }

    private static List<object?> Materialize(IEnumerable enumerable)
    {
        var items = enumerable is ICollection collection ? new List<object?>(collection.Count) : new List<object?>();
        foreach (var item in enumerable)
        {
            items.Add(item);
        }

        return items;
    }

    private static void WriteArray(ref MessagePackWriter writer, List<object?> items, HashSet<object> path, int depth)
    {
        writer.WriteArrayHeader(items.Count);
        foreach (var item in items)
        {
            Write(ref writer, item, path, depth + 1);
        }
    }

    private static void WriteMap(ref MessagePackWriter writer, object dictionary, HashSet<object> path, int depth)
    {
        var entries = CollectionShape.Entries(dictionary);
        writer.WriteMapHeader(entries.Count);
        foreach (var (key, item) in entries)
        {
            if (key is null or IEnumerable and not string)
            {
                throw new UnsupportedValueTypeException(
                    key?.GetType().FullName ?? "null",
                    "dictionary keys must be strings, integers, doubles or bools.");
            }

            Write(ref writer, key, path, depth + 1);
            Write(ref writer, item, path, depth + 1);
        }
    }

    private static object? Read(ref MessagePackReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("The encoded value nests too deeply.");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                return reader.ReadInt64();
            case MessagePackType.Float:
                return reader.ReadDouble();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytes()?.ToArray();
            case MessagePackType.Array:
                {
                    var count = reader.ReadArrayHeader();
                    var list = new List<object?>(count);
                    for (var i = 0; i < count; i++)
                    {
                        list.Add(Read(ref reader, depth + 1));
                    }

                    return list;
                }
            case MessagePackType.Map:
                {
                    var count = reader.ReadMapHeader();
                    var map = new Dictionary<object, object?>(count, ValueComparer.Instance);
                    for (var i = 0; i < count; i++)
                    {
                        var key = Read(ref reader, depth + 1) ?? throw new FormatException("A dictionary key is null.");
                        map[key] = Read(ref reader, depth + 1);
                    }

                    return map;
                }
            case MessagePackType.Extension:
                {
                    var header = reader.ReadExtensionFormatHeader();
                    if (header.TypeCode != SetExtensionType)
                    {
                        throw new FormatException($"Unknown extension type {header.TypeCode}.");
                    }

                    var count = reader.ReadArrayHeader();
                    var set = new HashSet<object?>(count, ValueComparer.Instance);
                    for (var i = 0; i < count; i++)
                    {
                        set.Add(Read(ref reader, depth + 1));
                    }

                    return set;
                }
            default:
                throw new FormatException($"Unexpected MessagePack type {reader.NextMessagePackType}.");
        }
    }
}
