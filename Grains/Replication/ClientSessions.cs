namespace DiMint.Grains.Replication;

/// <summary>
/// The writes of each client a copy of a range has applied, by write id, with their sequence numbers: a write that comes
/// again (the client retried after losing the answer) is not applied twice, and its answer waits for the first one's
/// commit. Kept with the copy (<see cref="Ranges.RangeData.Sessions"/>) and built the same way on every copy (replicas
/// record the ids that travel with each write, snapshots carry them), so a promoted copy knows what its predecessor
/// applied. A client's ids below its oldest write in flight are dropped; a client silent for <see cref="IdleExpiry"/> is
/// forgotten (it retries for at most its request timeout).
/// </summary>
/// <remarks>Not thread-safe: its owner is the copy's role (the master's replication lock, or the replica grain's lock).</remarks>
internal sealed class ClientSessions
{
    /// <summary>How long a client's session is kept after its last write.</summary>
    public static readonly TimeSpan IdleExpiry = TimeSpan.FromMinutes(5);

    /// <summary>The most write ids kept per client (a client that never reports its oldest write in flight).</summary>
    private const int MaxIdsPerClient = 65_536;

    private readonly Dictionary<long, Session> _sessions = [];
    private long _nextExpiryCheck;

    public int Count => _sessions.Count;

    /// <summary>Whether write <paramref name="writeId"/> of <paramref name="clientId"/> was applied here, and at which sequence number.</summary>
    public bool TryGetApplied(long clientId, long writeId, out long seq)
    {
        seq = 0;
        return _sessions.TryGetValue(clientId, out var session) && session.Applied.TryGetValue(writeId, out seq);
    }

    /// <summary>The value write <paramref name="writeId"/> of <paramref name="clientId"/> stored, when it was one whose answer is its value.</summary>
    public bool TryGetValue(long clientId, long writeId, out byte[]? value)
    {
        value = null;
        return _sessions.TryGetValue(clientId, out var session) && session.Values is { } values && values.TryGetValue(writeId, out value);
    }

    /// <summary>
    /// Whether the client had moved past write <paramref name="writeId"/> (it said its oldest write in flight is newer):
    /// the write was answered, or given up, so a copy of it arriving now (delayed in the network, or a retry sent on
    /// another path) must not be applied, even though its id may have been dropped from those remembered.
    /// </summary>
    public bool IsBehind(long clientId, long writeId) => _sessions.TryGetValue(clientId, out var session) && writeId < session.Oldest;

    /// <summary>
    /// Records an applied write (with the <paramref name="value"/> it stored when its answer is that value); drops the
    /// client's ids below <paramref name="oldest"/>.
    /// </summary>
    public void Record(long clientId, long oldest, long writeId, long seq, long now, long timestampFrequency, byte[]? value = null)
    {
        if (clientId == 0)
        {
            return;
        }

        if (!_sessions.TryGetValue(clientId, out var session))
        {
            _sessions[clientId] = session = new Session();
        }

        session.LastSeen = now;
        session.Applied[writeId] = seq;
        if (value is not null)
        {
            (session.Values ??= [])[writeId] = value;
        }

        if (oldest > session.Oldest)
        {
            session.Oldest = oldest;
            // On the write path, under the copy's lock: no allocation (a Dictionary may remove while it is enumerated).
            foreach (var id in session.Applied.Keys)
            {
                if (id < oldest)
                {
                    session.Applied.Remove(id);
                }
            }

            if (session.Values is { } values)
            {
                foreach (var id in values.Keys)
                {
                    if (id < oldest)
                    {
                        values.Remove(id);
                    }
                }
            }
        }

        if (session.Applied.Count > MaxIdsPerClient)
        {
            var cut = session.Applied.Keys.Order().Skip(session.Applied.Count - (MaxIdsPerClient / 2)).First();
            session.Applied.Keys.Where(id => id < cut).ToList().ForEach(id => session.Applied.Remove(id));
            session.Values?.Keys.Where(id => id < cut).ToList().ForEach(id => session.Values.Remove(id));
        }

        if (now >= _nextExpiryCheck)
        {
            var idle = (long)(IdleExpiry.TotalSeconds * timestampFrequency);
            _nextExpiryCheck = now + (idle / 10);
            foreach (var (id, s) in _sessions.Where(s => now - s.Value.LastSeen > idle).ToList())
            {
                _sessions.Remove(id);
            }
        }
    }

    /// <summary>The sessions with the writes applied up to <paramref name="maxSeq"/>, for a snapshot at that sequence number.</summary>
    public ClientSession[] Snapshot(long maxSeq) =>
        [.. _sessions.Select(s =>
        {
            var applied = s.Value.Applied.Where(a => a.Value <= maxSeq).ToArray();
            var values = s.Value.Values is { Count: > 0 } kept ? applied.Select(a => kept.GetValueOrDefault(a.Key)).ToArray() : null;
            return new ClientSession { ClientId = s.Key, Oldest = s.Value.Oldest, Ids = [.. applied.Select(a => a.Key)], Seqs = [.. applied.Select(a => a.Value)], Values = values };
        })];

    /// <summary>Takes the sessions a snapshot carried (what this copy held before is replaced with the snapshot's data).</summary>
    public void Restore(IEnumerable<ClientSession> sessions, long now)
    {
        _sessions.Clear();
        Merge(sessions, now, seqOverride: null);
    }

    /// <summary>
    /// Adds <paramref name="sessions"/> to these, every write at sequence number 0 (committed, in another numbering): for
    /// the halves of a split and a merged range, which start from data every write quorum holds.
    /// </summary>
    public void AddCommitted(IEnumerable<ClientSession> sessions, long now) => Merge(sessions, now, seqOverride: 0);

    private void Merge(IEnumerable<ClientSession> sessions, long now, long? seqOverride)
    {
        foreach (var s in sessions)
        {
            if (!_sessions.TryGetValue(s.ClientId, out var session))
            {
                _sessions[s.ClientId] = session = new Session();
            }

            session.Oldest = Math.Max(session.Oldest, s.Oldest);
            session.LastSeen = now;
            for (var i = 0; i < s.Ids.Length; i++)
            {
                session.Applied[s.Ids[i]] = seqOverride ?? s.Seqs[i];
                if (s.Values is { } values && i < values.Length && values[i] is { } value)
                {
                    (session.Values ??= [])[s.Ids[i]] = value;
                }
            }
        }
    }

    private sealed class Session
    {
        public long Oldest { get; set; }

        public long LastSeen { get; set; }

        public Dictionary<long, long> Applied { get; } = [];

        /// <summary>The values of the applied writes whose answer is their value, by id (null until there is one).</summary>
        public Dictionary<long, byte[]>? Values { get; set; }
    }
}
