using System.Buffers.Binary;
using System.Text;

namespace DiMint.ZooKeeper.Protocol;

/// <summary>Reads jute records from a received frame.</summary>
internal ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> data, int position = 0)
    {
        _data = data;
        _position = position;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt()
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(Take(4));
        return value;
    }

    public long ReadLong()
    {
        return BinaryPrimitives.ReadInt64BigEndian(Take(8));
    }

    public bool ReadBool()
    {
        return Take(1)[0] != 0;
    }

    public byte[]? ReadBuffer()
    {
        var length = ReadInt();
        if (length < 0)
        {
            return null;
        }

        return Take(length).ToArray();
    }

    public string? ReadString()
    {
        var length = ReadInt();
        if (length < 0)
        {
            return null;
        }

        return Encoding.UTF8.GetString(Take(length));
    }

    public ZooKeeperStat ReadStat()
    {
        return new ZooKeeperStat(
            CreatedZxid: ReadLong(),
            ModifiedZxid: ReadLong(),
            CreatedTime: ReadLong(),
            ModifiedTime: ReadLong(),
            Version: ReadInt(),
            ChildVersion: ReadInt(),
            AclVersion: ReadInt(),
            EphemeralOwner: ReadLong(),
            DataLength: ReadInt(),
            NumChildren: ReadInt(),
            ChildrenModifiedZxid: ReadLong());
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _position + count > _data.Length)
        {
            throw new ZooKeeperProtocolException("Truncated ZooKeeper response.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
