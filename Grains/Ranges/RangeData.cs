using System.Runtime.InteropServices;
using System.Text;

namespace DiMint.Grains.Ranges;

/// <summary>
/// This silo's copy of one range, master or replica. It lives in <see cref="RangeStore"/>, not in a grain activation,
/// so it outlives deactivations, and a replica's copy becomes the master's without copying when it is promoted.
/// Mutated only from the turns of the grain that owns the role, under <see cref="_sync"/>, so that the silo's batch
/// service can read a master's entries from other threads (<see cref="TryReadAsMaster"/>); the counters may be read
/// from anywhere.
/// </summary>
internal sealed class RangeData
{
    /// <summary>Held while the entries change and while another thread reads them; the owning grain's own reads need no lock.</summary>
    private readonly Lock _sync = new();
    private Dictionary<string, byte[]> _entries;
    private long _bytes;
    private long _count;

    public RangeData(RangeInfo range, long ringVersion, bool isMaster, int capacity = 0)
    {
        Range = range;
        RingVersion = ringVersion;
        IsMaster = isMaster;
        Epoch = range.Epoch;
        SourceEpoch = range.Epoch;
        FencedEpoch = range.Epoch;
        Complete = isMaster;
        _entries = new Dictionary<string, byte[]>(capacity, StringComparer.Ordinal);
    }

    /// <summary>The range as this copy last learned it (bounds, master, replicas, epoch).</summary>
    public RangeInfo Range { get; set; }

    /// <summary>The newest ring version at which <see cref="Range"/> was known to be current.</summary>
    public long RingVersion { get; set; }

    /// <summary>Whether this copy is the master (takes writes) or a replica.</summary>
    public bool IsMaster { get; set; }

    /// <summary>The epoch of the master role this copy holds (masters), or follows (replicas).</summary>
    public long Epoch { get; set; }

    /// <summary>The epoch of the master whose writes this copy holds (a replica's snapshot source).</summary>
    public long SourceEpoch { get; set; }

    /// <summary>Masters older than this are refused (raised by the overlord before a promotion).</summary>
    public long FencedEpoch { get; set; }

    /// <summary>The last write sequence number applied.</summary>
    public long AppliedSeq { get; set; }

    /// <summary>
    /// For a master that was a replica (promoted, or moved here): the last write it held when it took over. A replica of the
    /// previous master (<see cref="SourceEpoch"/>) at exactly this write holds the same history and follows without a snapshot.
    /// </summary>
    public long LineageSeq { get; set; } = -1;

    /// <summary>Whether the copy is whole: a master, or a replica whose snapshot finished.</summary>
    public bool Complete { get; set; }

    /// <summary>
    /// The master's recent writes, kept with the data (not in the activation) so a reactivated master resumes its
    /// replicas where they are instead of sending them snapshots.
    /// </summary>
    public Replication.ReplicationLog Log { get; } = new();

    /// <summary>Set when the range no longer exists in this form (split, or its master moved on): the ring that replaced it.</summary>
    public Ring? RetiredBy { get; private set; }

    public long Count => Interlocked.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public IReadOnlyDictionary<string, byte[]> Entries => _entries;

    public bool TryGet(string key, out byte[] value) => _entries.TryGetValue(key, out value!);

    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <summary>
    /// The values of <paramref name="keys"/> (null where not stored) when this copy is the current master at
    /// <paramref name="epoch"/> for a client at <paramref name="ringVersion"/> and holds every key's hash; otherwise null,
    /// and the range grain must answer. Safe from any thread.
    /// </summary>
    public byte[]?[]? TryReadAsMaster(long epoch, long ringVersion, string[] keys)
    {
        var values = new byte[]?[keys.Length];
        lock (_sync)
        {
            if (!IsMaster || Epoch != epoch || RetiredBy is not null || ringVersion > RingVersion)
            {
                return null;
            }

            var range = Range;
            for (var i = 0; i < keys.Length; i++)
            {
                if (!range.Contains(KeyHash.Of(keys[i])))
                {
                    return null;
                }

                values[i] = _entries.TryGetValue(keys[i], out var value) ? value : null;
            }
        }

        return values;
    }

    public void Set(string key, byte[] value)
    {
        long delta;
        lock (_sync)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
            if (exists)
            {
                delta = value.Length - slot!.Length;
            }
            else
            {
                delta = SizeOf(key, value);
                Interlocked.Increment(ref _count);
            }

            slot = value;
        }

        Interlocked.Add(ref _bytes, delta);
    }

    public bool Remove(string key)
    {
        byte[]? old;
        lock (_sync)
        {
            if (!_entries.Remove(key, out old))
            {
                return false;
            }
        }

        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -SizeOf(key, old));
        return true;
    }

    /// <summary>Applies a replicated write: a set, or a delete when the value is null.</summary>
    public void Apply(in ReplicationOp op)
    {
        if (op.Value is null)
        {
            Remove(op.Key);
        }
        else
        {
            Set(op.Key, op.Value);
        }
    }

    /// <summary>Drops every entry (a replica about to receive a snapshot).</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
        }

        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>Drops the entries and answers Moved with <paramref name="ring"/> from now on.</summary>
    public void Retire(Ring ring)
    {
        // One hold of the (reentrant) lock: a reader sees the copy whole, or retired and empty.
        lock (_sync)
        {
            RetiredBy = ring;
            Clear();
            _entries.TrimExcess();
        }
    }

    /// <summary>
    /// A master stepping down and keeping its data as a replica of <paramref name="range"/>: the entries go to the
    /// returned copy (no copying), and this object answers as retired by <paramref name="ring"/>.
    /// </summary>
    public RangeData HandOverAsReplica(RangeInfo range, Ring ring)
    {
        var replica = new RangeData(range, ring.Version, isMaster: false)
        {
            SourceEpoch = Epoch,
            FencedEpoch = range.Epoch,
            AppliedSeq = AppliedSeq,
            Complete = true,
        };
        lock (_sync)
        {
            (replica._entries, _entries) = (_entries, replica._entries);
            RetiredBy = ring;
        }

        replica._count = Interlocked.Exchange(ref _count, 0);
        replica._bytes = Interlocked.Exchange(ref _bytes, 0);
        return replica;
    }

    /// <summary>A new copy of <paramref name="range"/> holding this copy's entries whose hashes it contains.</summary>
    public RangeData CopyInto(RangeInfo range, bool isMaster, RangeData? into = null)
    {
        var copy = into ?? new RangeData(range, 0, isMaster) { Complete = true };
        foreach (var (key, value) in _entries)
        {
            if (range.Contains(KeyHash.Of(key)))
            {
                copy.Set(key, value);
            }
        }

        return copy;
    }

    public RangeStats Stats(long replicaLag = 0, int replicasInSync = 0) => new()
    {
        RangeId = Range.Id,
        Keys = Count,
        Bytes = Bytes,
        AppliedSeq = AppliedSeq,
        IsMaster = IsMaster,
        Epoch = Epoch,
        ReplicaLag = replicaLag,
        ReplicasInSync = replicasInSync,
    };

    public static long SizeOf(string key, byte[] value) => Encoding.UTF8.GetByteCount(key) + value.Length;
}
