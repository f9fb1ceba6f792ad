namespace DiMint.Grains.Replication;

/// <summary>
/// A master's recent writes in sequence order, kept until every replica has them. Values are the same byte arrays
/// the range stores (no copy).
/// </summary>
internal sealed class ReplicationLog
{
    private readonly List<ReplicationOp> _ops = [];

    /// <summary>The sequence number of the oldest write kept (when the log is not empty).</summary>
    public long FirstSeq { get; private set; } = 1;

    /// <summary>The sequence number of the newest write kept, or FirstSeq - 1 when empty.</summary>
    public long LastSeq => FirstSeq + _ops.Count - 1;

    /// <summary>Appends the write with sequence number <paramref name="seq"/> (always LastSeq + 1, or a fresh start).</summary>
    public void Append(long seq, ReplicationOp op)
    {
        if (_ops.Count == 0 || seq != LastSeq + 1)
        {
            _ops.Clear();
            FirstSeq = seq;
        }

        _ops.Add(op);
    }

    /// <summary>Whether every write after <paramref name="seq"/> up to <paramref name="appliedSeq"/> (the newest) is kept.</summary>
    public bool Covers(long seq, long appliedSeq) => seq >= appliedSeq || (seq + 1 >= FirstSeq && LastSeq >= appliedSeq);

    /// <summary>Up to <paramref name="max"/> writes starting at <paramref name="from"/>.</summary>
    public ReplicationOp[] Slice(long from, int max)
    {
        var start = (int)(from - FirstSeq);
        var count = Math.Min(max, _ops.Count - start);
        return count <= 0 ? [] : _ops.GetRange(start, count).ToArray();
    }

    /// <summary>Forgets writes up to and including <paramref name="seq"/>.</summary>
    public void TruncateThrough(long seq)
    {
        var drop = (int)Math.Min(_ops.Count, seq - FirstSeq + 1);
        if (drop <= 0)
        {
            return;
        }

        _ops.RemoveRange(0, drop);
        FirstSeq += drop;
    }
}
