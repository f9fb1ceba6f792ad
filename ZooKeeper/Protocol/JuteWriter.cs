using System.Buffers.Binary;
using System.Text;

namespace DiMint.ZooKeeper.Protocol;

/// <summary>
/// Writes jute records (ZooKeeper's big-endian encoding) into a growable buffer. The first four bytes are
/// reserved for the frame length, which <see cref="ToFrame"/> fills in.
/// </summary>
internal sealed class JuteWriter
{
    private byte[] _buffer;
    private int _length;

    public JuteWriter(int capacity = 256)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
        _length = 4;
    }

    /// <summary>Bytes written after the length prefix.</summary>
    public int PayloadLength => _length - 4;

    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
    }

    public void WriteBool(bool value)
    {
        Reserve(1)[0] = value ? (byte)1 : (byte)0;
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void WriteNullBuffer()
    {
        WriteInt(-1);
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>Overwrites a previously written int at <paramref name="payloadOffset"/> (0 = first payload byte).</summary>
    public void PatchInt(int payloadOffset, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(4 + payloadOffset, 4), value);
    }

    /// <summary>Fills in the length prefix and returns the frame ready to send.</summary>
    public ReadOnlyMemory<byte> ToFrame()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _length - 4);
        return _buffer.AsMemory(0, _length);
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var size = _buffer.Length;
            while (size < _length + count)
            {
                size = checked(size * 2);
            }

            Array.Resize(ref _buffer, size);
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
