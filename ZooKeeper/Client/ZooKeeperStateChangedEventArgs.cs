namespace DiMint.ZooKeeper;

/// <summary>Raised by <see cref="ZooKeeperClient.StateChanged"/>.</summary>
public sealed class ZooKeeperStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    public ZooKeeperStateChangedEventArgs(ZooKeeperState previous, ZooKeeperState current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The state before the change.</summary>
    public ZooKeeperState Previous { get; }

    /// <summary>The state after the change.</summary>
    public ZooKeeperState Current { get; }
}
