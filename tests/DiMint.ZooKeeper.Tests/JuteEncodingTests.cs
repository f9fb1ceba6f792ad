using DiMint.ZooKeeper.Protocol;

namespace DiMint.ZooKeeper.Tests;

[Trait("Category", "Unit")]
public sealed class JuteEncodingTests
{
    [Fact]
    public void Writer_ProducesBigEndianLengthPrefixedFrame_ThatTheReaderReadsBack()
    {
        var writer = new JuteWriter(8);
        writer.WriteInt(0);
        writer.WriteLong(0x0102030405060708);
        writer.WriteBool(true);
        writer.WriteString("/é");
        writer.WriteBuffer([9, 8, 7]);
        writer.WriteNullBuffer();
        writer.PatchInt(0, 42);

        var frame = writer.ToFrame().ToArray();
        var reader = new JuteReader(frame, 4);

        Assert.Equal([0, 0, 0, (byte)(frame.Length - 4)], frame[..4]);
        Assert.Equal([0, 0, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8], frame[4..16]);
        Assert.Equal(42, reader.ReadInt());
        Assert.Equal(0x0102030405060708, reader.ReadLong());
        Assert.True(reader.ReadBool());
        Assert.Equal("/é", reader.ReadString());
        Assert.Equal([9, 8, 7], reader.ReadBuffer());
        Assert.Null(reader.ReadBuffer());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Reader_OnATruncatedFrame_ThrowsProtocolError()
    {
        Assert.Throws<ZooKeeperProtocolException>(() =>
        {
            var reader = new JuteReader(new byte[] { 0, 0, 0, 9, 1 });
            reader.ReadBuffer();
        });
    }
}
