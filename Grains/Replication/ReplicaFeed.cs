namespace DiMint.Grains.Replication;

/// <summary>A master's view of one of its replicas: how far it has acknowledged, and whether it needs a snapshot.</summary>
internal sealed class ReplicaFeed(SiloAddress silo, IRangeReplicaGrain replica)
{
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SiloAddress Silo { get; } = silo;

    public IRangeReplicaGrain Replica { get; } = replica;

    /// <summary>The last sequence number the replica confirmed; -1 until the feed has learned it.</summary>
    public long AckedSeq { get; set; } = -1;

    /// <summary>Whether the replica holds a complete copy following this master (it may count toward acknowledgements).</summary>
    public bool InSync { get; set; }

    public bool Stopped { get; set; }

    /// <summary>Whether the last exchange with the replica failed (it does not count as reachable).</summary>
    public bool Failed { get; set; }

    /// <summary>Wakes the feed's loop: there are new writes to send.</summary>
    public void Wake() => _wake.TrySetResult();

    /// <summary>Waits until <see cref="Wake"/> is called.</summary>
    public Task WaitAsync()
    {
        var wake = _wake.Task;
        if (wake.IsCompleted)
        {
            // Woken before waiting: return at once, and wait for the next wake-up next time.
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return wake;
    }
}
