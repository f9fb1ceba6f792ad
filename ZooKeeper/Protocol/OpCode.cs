namespace DiMint.ZooKeeper.Protocol;

/// <summary>Request types of the ZooKeeper wire protocol (ZooDefs.OpCode).</summary>
internal static class OpCode
{
    public const int Create = 1;
    public const int Delete = 2;
    public const int Exists = 3;
    public const int GetData = 4;
    public const int SetData = 5;
    public const int GetChildren = 8;
    public const int Sync = 9;
    public const int Ping = 11;
    public const int GetChildren2 = 12;
    public const int Check = 13;
    public const int Multi = 14;
    public const int Create2 = 15;
    public const int Auth = 100;
    public const int CloseSession = -11;
    public const int Error = -1;
}

/// <summary>Reserved request ids of the ZooKeeper wire protocol.</summary>
internal static class SpecialXid
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}
