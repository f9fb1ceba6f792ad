namespace DiMint.Client.Batching;

/// <summary>
/// The operations waiting for one silo, and the batches to it in flight. Fewer than the limit in flight: the next
/// operation leaves at once. The limit reached: operations wait and leave together when a batch returns.
/// </summary>
internal sealed class BatchQueue(SiloAddress silo)
{
    private readonly Lock _lock = new();
    private readonly Queue<BatchOp> _pending = new();
    private int _inFlight;

    /// <summary>The silo whose ranges' operations wait here.</summary>
    public SiloAddress Silo { get; } = silo;

    /// <summary>
    /// Queues <paramref name="op"/>; returns the batch to send now when fewer than <paramref name="maxInFlight"/> were
    /// in flight, else null.
    /// </summary>
    public List<BatchOp>? Add(BatchOp op, int maxInFlight, int maxOps, int maxBytes)
    {
        lock (_lock)
        {
            _pending.Enqueue(op);
            if (_inFlight >= maxInFlight)
            {
                return null;
            }

            _inFlight++;
            return Take(maxOps, maxBytes);
        }
    }

    /// <summary>A batch in flight is done (or slow): the next batch to send in its place, or null when nothing waits.</summary>
    public List<BatchOp>? Next(int maxOps, int maxBytes)
    {
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                _inFlight--;
                return null;
            }

            return Take(maxOps, maxBytes);
        }
    }

    /// <summary>Up to <paramref name="maxOps"/> operations and <paramref name="maxBytes"/> (at least one), in call order.</summary>
    private List<BatchOp> Take(int maxOps, int maxBytes)
    {
        var first = _pending.Dequeue();
        var batch = new List<BatchOp>(Math.Min(_pending.Count + 1, maxOps)) { first };
        if (first.Alone)
        {
            return batch;
        }

        long bytes = first.Size;
        while (batch.Count < maxOps && _pending.TryPeek(out var next) && !next.Alone && bytes + next.Size <= maxBytes)
        {
            batch.Add(_pending.Dequeue());
            bytes += next.Size;
        }

        return batch;
    }
}
