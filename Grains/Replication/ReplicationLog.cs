using System.Runtime.InteropServices;

namespace DiMint.Grains.Replication;

/// <summary>
/// A copy's recent writes in sequence order. A master keeps them until every replica has them; a replica keeps the
/// same window (the master tells it where the window starts with each batch), so that promoted it resumes the other
/// replicas from where they stand instead of sending them snapshots. Values are the arrays the writes arrived in (the
/// range's <see cref="Ranges.EntryTable"/> holds its own copy of the bytes). Appending and forgetting the oldest writes are amortised O(1): forgotten writes are skipped by an offset
/// and compacted away only once they are half of the list.
/// </summary>
internal sealed class ReplicationLog
{
    /// <summary>The most writes kept: a replica further behind catches up from a snapshot instead.</summary>
    public const int MaxOps = 250_000;

    private readonly List<ReplicationOp> _ops = [];

    /// <summary>How many entries at the front of <see cref="_ops"/> are forgotten.</summary>
    private int _head;

    /// <summary>The sequence number of the oldest write kept (when the log is not empty).</summary>
    public long FirstSeq { get; private set; } = 1;

    /// <summary>The number of writes kept.</summary>
    public int Count => _ops.Count - _head;

    /// <summary>The sequence number of the newest write kept, or FirstSeq - 1 when empty.</summary>
    public long LastSeq => FirstSeq + Count - 1;

    /// <summary>
    /// Appends the write with sequence number <paramref name="seq"/> (LastSeq + 1; any other starts the log afresh),
    /// forgetting the oldest beyond <see cref="MaxOps"/>.
    /// </summary>
    public void Append(long seq, ReplicationOp op)
    {
        if (Count == 0 || seq != LastSeq + 1)
        {
            _ops.Clear();
            _head = 0;
            FirstSeq = seq;
        }

        _ops.Add(op);
        if (Count > MaxOps)
        {
            TruncateThrough(LastSeq - MaxOps);
        }
    }

    /// <summary>Whether every write after <paramref name="seq"/> up to <paramref name="appliedSeq"/> (the newest) is kept.</summary>
    public bool Covers(long seq, long appliedSeq) => seq >= appliedSeq || (seq + 1 >= FirstSeq && LastSeq >= appliedSeq);

    /// <summary>Up to <paramref name="max"/> writes starting at <paramref name="from"/>.</summary>
    public ReplicationOp[] Slice(long from, int max)
    {
        var start = (int)(from - FirstSeq);
        var count = Math.Min(max, Count - start);
        return count <= 0 || start < 0 ? [] : CollectionsMarshal.AsSpan(_ops).Slice(_head + start, count).ToArray();
    }

    /// <summary>Forgets writes up to and including <paramref name="seq"/>.</summary>
    public void TruncateThrough(long seq)
    {
        var drop = (int)Math.Min(Count, seq - FirstSeq + 1);
        if (drop <= 0)
        {
            return;
        }

        _head += drop;
        FirstSeq += drop;
        if (_head == _ops.Count)
        {
            _ops.Clear();
            _head = 0;
        }
        else if (_head > 1024 && _head > _ops.Count / 2)
        {
            _ops.RemoveRange(0, _head);
            _head = 0;
        }
    }
}
