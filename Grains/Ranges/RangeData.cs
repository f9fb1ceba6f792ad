using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace DiMint.Grains.Ranges;

/// <summary>
/// This silo's copy of one range, master or replica. It lives in <see cref="RangeStore"/>, not in a grain activation,
/// so it outlives deactivations (and a restart of the silo's Orleans runtime), and a replica's copy becomes the master's
/// without copying when it is promoted.
/// </summary>
/// <remarks>
/// Who touches what: the entries change under <see cref="_sync"/>, in the turns of the grain that owns the copy's role
/// (a master's writes) or under the replica grain's lock (a replica's batches); readers on any thread take
/// <see cref="_sync"/>. <see cref="Header"/> is swapped whole under <see cref="_sync"/> and read without it. A master's
/// uncommitted writes and its lease are set by its <c>MasterReplication</c>, from whichever thread received the
/// acknowledgement that moved them. The replica fields (<see cref="SourceEpoch"/>, <see cref="Complete"/>, the promise)
/// belong to the replica grain's lock while the copy is a replica; a promotion's activation sets <see cref="SourceEpoch"/>
/// once, before the master's replication starts, which from then on only reads it.
/// </remarks>
internal sealed class RangeData
{
    /// <summary>Held while the entries or the header change and while another thread reads them.</summary>
    private readonly Lock _sync = new();
    private EntryTable _entries = new();

    /// <summary>
    /// A master's writes applied here but not yet held by a write quorum, by key: the committed value before them (null:
    /// absent), and the newest of them. Reads answer the committed value: a value a reader saw is never lost with the master.
    /// </summary>
    private readonly Dictionary<string, (long Seq, byte[]? Committed)> _uncommitted = new(StringComparer.Ordinal);
    private readonly Queue<(long Seq, string Key, byte[]? Value)> _uncommittedOrder = new();
    private volatile RangeHeader _header;

    /// <summary>
    /// When keys with an expiry (<see cref="ValueExpiry"/>) expire, earliest first, for the master's active expiry
    /// (<see cref="TakeExpired"/>). An entry whose key was written again since stays until its time comes and is skipped
    /// then; the queue is rebuilt when such entries outnumber the live ones. Null until a value with an expiry is stored.
    /// Touched only under <see cref="_sync"/>, by whichever thread changes the entries or takes expired keys.
    /// </summary>
    private PriorityQueue<string, long>? _expiries;

    /// <summary>How many entries hold a value with an expiry now: written under <see cref="_sync"/>, read by any thread (Interlocked).</summary>
    private long _expiring;

    /// <summary>The queue's earliest time: written under <see cref="_sync"/>, read without it by the silo's sweeper (Interlocked).</summary>
    private long _nextExpiry = long.MaxValue;
    private long _bytes;
    private long _count;
    private long _committedSeq;
    private long _leaseUntil;
    private long _fencedEpoch;

    public RangeData(RangeInfo range, long ringVersion, bool isMaster)
    {
        _header = new RangeHeader(range, ringVersion, isMaster, range.Epoch);
        SourceEpoch = range.Epoch;
        _fencedEpoch = range.Epoch;
        Complete = isMaster;
    }

    /// <summary>What the copy is (swapped whole; see <see cref="RangeHeader"/>).</summary>
    public RangeHeader Header => _header;

    public RangeInfo Range => _header.Range;

    public long RingVersion => _header.RingVersion;

    public bool IsMaster => _header.IsMaster;

    public long Epoch => _header.Epoch;

    public Ring? RetiredBy => _header.RetiredBy;

    /// <summary>The epoch of the master whose writes this copy holds (a replica's snapshot source).</summary>
    public long SourceEpoch { get; set; }

    /// <summary>
    /// Masters older than this are refused: raised by the overlord before a promotion, on replicas and on a master's own
    /// copy alike (a master whose copy was fenced past its epoch neither acknowledges nor serves). Never lowered.
    /// </summary>
    public long FencedEpoch => Interlocked.Read(ref _fencedEpoch);

    /// <summary>
    /// Whether this copy is the master of <paramref name="epoch"/>, not retired and not fenced past it: only such a copy
    /// takes writes and moves its commit point or lease. Safe from any thread (one header, read once).
    /// </summary>
    public bool IsUnfencedMasterOf(long epoch) =>
        _header is { IsMaster: true, RetiredBy: null } header && header.Epoch == epoch && FencedEpoch <= epoch;

    /// <summary>
    /// Held while a replica applies a batch to the copy and while the silo's sweep of left-over copies decides on it
    /// (<see cref="RangeStore.DropStale"/>), so a copy is never dropped with a batch going in.
    /// </summary>
    public Lock Sync { get; } = new();

    /// <summary>
    /// The silo (the Orleans runtime of this process) that placed the copy in its store; null for a copy never placed.
    /// A copy an earlier runtime placed and the ring no longer names is left over (<see cref="RangeStore.DropStale"/>).
    /// Written by <see cref="RangeStore.Put"/> (before the copy is published) and by the replica applying a batch, read by
    /// the sweep: both of the latter under <see cref="Sync"/>.
    /// </summary>
    public SiloAddress? PlacedBy { get; set; }

    /// <summary>The last write sequence number applied.</summary>
    public long AppliedSeq { get; set; }

    /// <summary>A master's newest write held by a write quorum (see <see cref="Commit"/>).</summary>
    public long CommittedSeq => Interlocked.Read(ref _committedSeq);

    /// <summary>
    /// For a master that was a replica (promoted, or moved here): the last write it held when it took over. A replica of the
    /// previous master (<see cref="SourceEpoch"/>) no further than this write holds a prefix of the same history and follows
    /// without a snapshot, from the writes <see cref="Log"/> still keeps.
    /// </summary>
    public long LineageSeq { get; set; } = -1;

    /// <summary>Whether the copy is whole: a master, or a replica whose snapshot finished.</summary>
    public bool Complete { get; set; }

    /// <summary>
    /// A replica's promise to its master (<see cref="PromisedEpoch"/>): no fence for a newer epoch is answered before this
    /// time (<see cref="TimeProvider.GetTimestamp"/>), so the master may serve reads until shortly before it.
    /// </summary>
    public long PromisedUntil { get; set; }

    /// <summary>The epoch of the master <see cref="PromisedUntil"/> was promised to.</summary>
    public long PromisedEpoch { get; set; }

    /// <summary>The clients' writes this copy applied, by id (so a retried write is applied once); same owner as <see cref="AppliedSeq"/>.</summary>
    public Replication.ClientSessions Sessions { get; private set; } = new();

    /// <summary>
    /// The copy's recent writes, kept with the data (not in the activation) so a reactivated master, or a replica promoted
    /// to master, resumes the replicas where they are instead of sending them snapshots. Changed by the copy's owner: the
    /// master's replication under its lock, or the replica grain under its own.
    /// </summary>
    public Replication.ReplicationLog Log { get; } = new();

    public long Count => Interlocked.Read(ref _count);

    /// <summary>How many keys have an expiry.</summary>
    public long Expiring => Interlocked.Read(ref _expiring);

    /// <summary>The earliest expiry time (Unix milliseconds) of a key stored here, or <see cref="long.MaxValue"/>; safe from any thread.</summary>
    public long NextExpiry => Interlocked.Read(ref _nextExpiry);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Swaps the header for <paramref name="change"/>(current), atomically with respect to readers of the entries.</summary>
    public RangeHeader ChangeHeader(Func<RangeHeader, RangeHeader> change)
    {
        lock (_sync)
        {
            var next = change(_header);
            _header = next;
            return next;
        }
    }

    /// <summary>
    /// Raises <see cref="FencedEpoch"/> to at least <paramref name="epoch"/>; answers the fence now in place. Under the
    /// lock, so a master's write (<see cref="TryStore"/>) is entirely before the fence or refused.
    /// </summary>
    public long RaiseFence(long epoch)
    {
        lock (_sync)
        {
            var current = Interlocked.Read(ref _fencedEpoch);
            if (current < epoch)
            {
                Interlocked.Exchange(ref _fencedEpoch, epoch);
                return epoch;
            }

            return current;
        }
    }

    /// <summary>
    /// A master's write with sequence number <paramref name="seq"/> (a null value deletes): applied, uncommitted, and
    /// <see cref="AppliedSeq"/> moved, when this copy is still the master of <paramref name="epoch"/> and not fenced past
    /// it; otherwise nothing changes. Absent: a delete of a key not stored (nothing changed either).
    /// </summary>
    public StoreOutcome TryStore(string key, byte[]? value, long seq, long epoch)
    {
        lock (_sync)
        {
            if (!IsUnfencedMasterOf(epoch))
            {
                return StoreOutcome.Refused;
            }

            if (value is not null)
            {
                Set(key, value, seq);
            }
            else if (!Remove(key, seq))
            {
                return StoreOutcome.Absent;
            }

            AppliedSeq = seq;
            return StoreOutcome.Stored;
        }
    }

    /// <summary>
    /// Enters the copy's lock when it is the current master at <paramref name="epoch"/> for a client at
    /// <paramref name="ringVersion"/>, unfenced and not held by a ring operation, and holds every key's hash: then the
    /// caller stores a write off the grain's scheduler (<c>MasterReplication.TryStoreServing</c>) and leaves with
    /// <see cref="ExitServing"/>. A ring operation's fence, a retirement or a handover changes the header under the same
    /// lock, so such a write is entirely before it. Otherwise false, and the lock is not held.
    /// </summary>
    public bool TryEnterServing(long epoch, long ringVersion, string[] keys)
    {
        _sync.Enter();
        var header = _header;
        var serves = header.Serves(epoch, ringVersion) && FencedEpoch <= epoch;
        for (var i = 0; serves && i < keys.Length; i++)
        {
            serves = header.Range.Contains(KeyHash.Of(keys[i]));
        }

        if (!serves)
        {
            _sync.Exit();
        }

        return serves;
    }

    /// <summary>Leaves the lock <see cref="TryEnterServing"/> entered.</summary>
    public void ExitServing() => _sync.Exit();

    /// <summary>Until when (a <see cref="TimeProvider.GetTimestamp"/> value) this master may serve reads; set by its replication.</summary>
    public long LeaseUntil
    {
        get => Interlocked.Read(ref _leaseUntil);
        set => Interlocked.Exchange(ref _leaseUntil, value);
    }

    /// <summary>A value as readers may see it: a master's committed value (the last one a write quorum holds).</summary>
    public bool TryGet(string key, out byte[] value)
    {
        lock (_sync)
        {
            return TryGetCommitted(key, out value);
        }
    }

    public bool ContainsKey(string key) => TryGet(key, out _);

    /// <summary>The values of <paramref name="keys"/> as readers may see them (null where not stored).</summary>
    public byte[]?[] GetMany(string[] keys)
    {
        var values = new byte[]?[keys.Length];
        lock (_sync)
        {
            for (var i = 0; i < keys.Length; i++)
            {
                values[i] = TryGetCommitted(keys[i], out var value) ? value : null;
            }
        }

        return values;
    }

    /// <summary>
    /// The values of <paramref name="keys"/> (null where not stored) when this copy is the current master at
    /// <paramref name="epoch"/> for a client at <paramref name="ringVersion"/>, holds every key's hash, and still had its
    /// lease at <paramref name="now"/> after reading them; otherwise null, and the range grain must answer. Safe from any thread.
    /// </summary>
    public byte[]?[]? TryReadAsMaster(long epoch, long ringVersion, string[] keys, long now)
    {
        var values = new byte[]?[keys.Length];
        lock (_sync)
        {
            var header = _header;
            if (!header.Serves(epoch, ringVersion) || FencedEpoch > epoch)
            {
                return null;
            }

            var range = header.Range;
            for (var i = 0; i < keys.Length; i++)
            {
                if (!range.Contains(KeyHash.Of(keys[i])))
                {
                    return null;
                }

                values[i] = TryGetCommitted(keys[i], out var value) ? value : null;
            }
        }

        // The lease is checked after the values were read: they were current at a time the lease covered.
        return LeaseUntil > now ? values : null;
    }

    /// <summary>Stores a write; a master passes its sequence number, which stays uncommitted until <see cref="Commit"/> reaches it.</summary>
    public void Set(string key, byte[] value, long seq = 0) => Set(key, value, value, seq);

    /// <summary>Stores a copy's entry (no sequence number: a snapshot's, a split's or a merge's).</summary>
    private void Set(string key, ReadOnlySpan<byte> value) => Set(key, value, null, 0);

    /// <summary><paramref name="array"/>: the value as an array nobody writes to (null: none), kept while a master's write is uncommitted and stored as it is when the value is large.</summary>
    private void Set(string key, ReadOnlySpan<byte> value, byte[]? array, long seq)
    {
        long delta;
        lock (_sync)
        {
            var exists = _entries.TryGetValue(key, out ReadOnlySpan<byte> previous);
            var previousLength = previous.Length;
            TrackUncommitted(key, exists, previous, array, seq);
            if (ValueExpiry.HasExpiry(previous) || ValueExpiry.HasExpiry(value))
            {
                TrackExpiry(key, previous, value);
            }

            _entries.Set(key, value, array);
            if (exists)
            {
                delta = value.Length - previousLength;
            }
            else
            {
                delta = SizeOf(key, value.Length);
                Interlocked.Increment(ref _count);
            }
        }

        Interlocked.Add(ref _bytes, delta);
    }

    /// <summary>Deletes a key; a master passes the delete's sequence number (see <see cref="Set(string, byte[], long)"/>).</summary>
    public bool Remove(string key, long seq = 0)
    {
        long size;
        lock (_sync)
        {
            if (!_entries.TryGetValue(key, out ReadOnlySpan<byte> previous))
            {
                return false;
            }

            size = SizeOf(key, previous.Length);
            TrackUncommitted(key, true, previous, null, seq);
            if (ValueExpiry.HasExpiry(previous))
            {
                TrackExpiry(key, previous, default);
            }

            _entries.Remove(key);
        }

        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -size);
        return true;
    }

    /// <summary>
    /// Marks every write up to <paramref name="seq"/> as held by a write quorum: from now on readers see them. Called by
    /// the master's replication from any thread.
    /// </summary>
    public void Commit(long seq)
    {
        if (seq <= CommittedSeq)
        {
            return;
        }

        lock (_sync)
        {
            if (seq <= _committedSeq)
            {
                return;
            }

            Interlocked.Exchange(ref _committedSeq, seq);
            while (_uncommittedOrder.TryPeek(out var head) && head.Seq <= seq)
            {
                _uncommittedOrder.Dequeue();
                ref var pending = ref CollectionsMarshal.GetValueRefOrNullRef(_uncommitted, head.Key);
                if (Unsafe.IsNullRef(ref pending))
                {
                    continue;
                }

                if (pending.Seq == head.Seq)
                {
                    _uncommitted.Remove(head.Key);
                }
                else
                {
                    // A later write of the key is still pending: readers see this one, committed now, until then.
                    pending.Committed = head.Value;
                }
            }
        }
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

    /// <summary>The keys, taken under the lock (for a snapshot sent from another thread than the owner's).</summary>
    public string[] SnapshotKeys()
    {
        lock (_sync)
        {
            return _entries.Keys();
        }
    }

    /// <summary>The stored value of <paramref name="key"/>, committed or not (a snapshot carries what the master applied).</summary>
    public bool TryGetApplied(string key, out byte[] value)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(key, out value);
        }
    }

    /// <summary>
    /// The value a master's write <paramref name="seq"/> stored under <paramref name="key"/>, while that write is the key's
    /// newest and not yet committed (a retry of it is answered with what it wrote).
    /// </summary>
    public bool TryGetPending(string key, long seq, out byte[]? value)
    {
        lock (_sync)
        {
            value = null;
            if (!_uncommitted.TryGetValue(key, out var pending) || pending.Seq != seq || !_entries.TryGetValue(key, out byte[] stored))
            {
                return false;
            }

            value = stored;
            return true;
        }
    }

    /// <summary>Drops every entry (a replica about to receive a snapshot).</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
            _uncommitted.Clear();
            _uncommittedOrder.Clear();
            ClearExpiries();
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
            _header = _header with { RetiredBy = ring };
            Clear();
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
            AppliedSeq = AppliedSeq,
            Complete = true,
        };
        lock (_sync)
        {
            (replica._entries, _entries) = (_entries, replica._entries);
            (replica._expiries, replica._expiring, replica._nextExpiry) = (_expiries, _expiring, _nextExpiry);
            ClearExpiries();
            _header = _header with { RetiredBy = ring };
            _uncommitted.Clear();
            _uncommittedOrder.Clear();
        }

        replica._count = Interlocked.Exchange(ref _count, 0);
        replica._bytes = Interlocked.Exchange(ref _bytes, 0);
        (replica.Sessions, Sessions) = (Sessions, replica.Sessions);
        return replica;
    }

    /// <summary>A new copy of <paramref name="range"/> holding this copy's entries whose hashes it contains.</summary>
    public RangeData CopyInto(RangeInfo range, bool isMaster, RangeData? into = null)
    {
        var copy = into ?? new RangeData(range, 0, isMaster) { Complete = true };
        lock (_sync)
        {
            foreach (var entry in _entries)
            {
                if (range.Contains(KeyHash.Of(entry.KeyUtf8)))
                {
                    copy.Set(entry.Key, entry.Value);
                }
            }
        }

        return copy;
    }

    /// <summary>
    /// Copies each entry into <paramref name="upper"/> when its range holds the key's hash, else into <paramref name="lower"/>.
    /// For the copy's owner while nothing writes to it (a master under a split's fence, a replica under its grain's lock):
    /// readers on other threads go on meanwhile, as reading does not change the table, so the walk takes no lock that
    /// the data port's thread would wait for.
    /// </summary>
    public void SplitInto(RangeData lower, RangeData upper)
    {
        var range = upper.Range;
        foreach (var entry in _entries)
        {
            (range.Contains(KeyHash.Of(entry.KeyUtf8)) ? upper : lower).Set(entry.Key, entry.Value);
        }
    }

    /// <summary>Each entry's hash and size (key and value bytes), for choosing a split point.</summary>
    public List<(ulong Hash, long Bytes)> HashesAndSizes()
    {
        lock (_sync)
        {
            var points = new List<(ulong Hash, long Bytes)>(_entries.Count);
            foreach (var entry in _entries)
            {
                points.Add((KeyHash.Of(entry.KeyUtf8), entry.KeyUtf8.Length + entry.Value.Length));
            }

            return points;
        }
    }

    public RangeStats Stats(long replicaLag = 0, int replicasInSync = 0) => new()
    {
        RangeId = Range.Id,
        Keys = Count,
        ExpiringKeys = Expiring,
        Bytes = Bytes,
        AppliedSeq = AppliedSeq,
        IsMaster = IsMaster,
        Epoch = Epoch,
        ReplicaLag = replicaLag,
        ReplicasInSync = replicasInSync,
    };

    public static long SizeOf(string key, int valueLength) => Encoding.UTF8.GetByteCount(key) + valueLength;

    /// <summary>Under <see cref="_sync"/>: the committed view of one key.</summary>
    private bool TryGetCommitted(string key, out byte[] value)
    {
        if (_uncommitted.Count > 0 && _uncommitted.TryGetValue(key, out var pending))
        {
            value = pending.Committed!;
            return pending.Committed is not null && !Expired(value);
        }

        if (_entries.TryGetValue(key, out byte[] stored) && !Expired(stored))
        {
            value = stored;
            return true;
        }

        value = null!;
        return false;
    }

    /// <summary>Whether a stored value has expired by this silo's clock (one byte compared for a value without expiry).</summary>
    private static bool Expired(ReadOnlySpan<byte> value) => ValueExpiry.IsExpired(value, ValueExpiry.NowMs());

    /// <summary>Under <see cref="_sync"/>: keeps the expiry queue and count as <paramref name="previous"/> becomes <paramref name="value"/> under <paramref name="key"/>.</summary>
    private void TrackExpiry(string key, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> value)
    {
        var had = ValueExpiry.HasExpiry(previous);
        var has = ValueExpiry.HasExpiry(value);
        if (had != has)
        {
            Interlocked.Add(ref _expiring, has ? 1 : -1);
        }

        if (!has)
        {
            return;
        }

        var at = ValueExpiry.ExpiresAt(value)!.Value;
        _expiries ??= new PriorityQueue<string, long>();
        if (_expiries.Count > 1024 && _expiries.Count > 2 * _expiring)
        {
            // Mostly keys written again since: start over from the entries (the new value is among them already or is added below).
            _expiries.Clear();
            foreach (var entry in _entries)
            {
                if (ValueExpiry.ExpiresAt(entry.Value) is { } when && entry.Key is var k && !string.Equals(k, key, StringComparison.Ordinal))
                {
                    _expiries.Enqueue(k, when);
                }
            }
        }

        _expiries.Enqueue(key, at);
        _expiries.TryPeek(out _, out var first);
        Interlocked.Exchange(ref _nextExpiry, first);
    }

    /// <summary>
    /// The keys (at most <paramref name="max"/>) whose stored values, committed or not, have expired at
    /// <paramref name="nowMs"/>: for the master to delete them (a replicated delete each). Their queue entries go.
    /// </summary>
    public List<string> TakeExpired(long nowMs, int max)
    {
        var keys = new List<string>();
        lock (_sync)
        {
            while (keys.Count < max && _expiries is not null && _expiries.TryPeek(out var key, out var at) && at <= nowMs)
            {
                _expiries.Dequeue();
                if (_entries.TryGetValue(key, out ReadOnlySpan<byte> value) && ValueExpiry.IsExpired(value, nowMs) && !keys.Contains(key))
                {
                    keys.Add(key);
                }
            }

            Interlocked.Exchange(ref _nextExpiry, _expiries is not null && _expiries.TryPeek(out _, out var next) ? next : long.MaxValue);
        }

        return keys;
    }

    /// <summary>Puts keys <see cref="TakeExpired"/> took back in the expiry queue (their delete could not be made now).</summary>
    public void RequeueExpired(List<string> keys)
    {
        lock (_sync)
        {
            foreach (var key in keys)
            {
                if (_entries.TryGetValue(key, out ReadOnlySpan<byte> value) && ValueExpiry.ExpiresAt(value) is { } at)
                {
                    (_expiries ??= new PriorityQueue<string, long>()).Enqueue(key, at);
                    if (at < _nextExpiry)
                    {
                        Interlocked.Exchange(ref _nextExpiry, at);
                    }
                }
            }
        }
    }

    /// <summary>Under <see cref="_sync"/>: forgets every expiry (the entries went).</summary>
    private void ClearExpiries()
    {
        _expiries = null;
        Interlocked.Exchange(ref _expiring, 0);
        Interlocked.Exchange(ref _nextExpiry, long.MaxValue);
    }

    /// <summary>
    /// Under <see cref="_sync"/>: remembers, for a master's write <paramref name="seq"/> of <paramref name="value"/> (null:
    /// a delete), the committed value of the key it replaces (<paramref name="previous"/> when <paramref name="existed"/>,
    /// copied: the table writes over it; unless an earlier write of the key is pending still).
    /// </summary>
    private void TrackUncommitted(string key, bool existed, ReadOnlySpan<byte> previous, byte[]? value, long seq)
    {
        if (seq <= _committedSeq)
        {
            return;
        }

        ref var pending = ref CollectionsMarshal.GetValueRefOrAddDefault(_uncommitted, key, out var exists);
        pending = (seq, exists ? pending.Committed : existed ? previous.ToArray() : null);
        _uncommittedOrder.Enqueue((seq, key, value));
    }
}
