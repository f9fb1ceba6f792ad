namespace DiMint.ZooKeeper.Protocol;

/// <summary>A reply frame matched to its request: the header's error code and the frame holding the body.</summary>
internal readonly record struct ZooKeeperReply(int Err, long Zxid, byte[] Frame, int BodyOffset)
{
    public JuteReader Body() => new(Frame, BodyOffset);
}
