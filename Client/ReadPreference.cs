namespace DiMint.Client;

/// <summary>Which copy of a range serves a read.</summary>
public enum ReadPreference
{
    /// <summary>The master: reads see every acknowledged write.</summary>
    Master = 0,

    /// <summary>
    /// A replica, chosen at random (the master when the range has none): offloads reads from the master; a read may
    /// miss the newest writes by the range's replication lag.
    /// </summary>
    Replica = 1,
}
