using System.Threading.Tasks.Sources;

namespace DiMint.Client.Batching;

/// <summary>
/// One caller's read or write, queued by <see cref="AutoBatcher"/> and reused by every attempt the caller makes
/// (its awaitable is reset per attempt, so an attempt allocates nothing).
/// </summary>
internal sealed class BatchOp : IValueTaskSource<BatchOutcome>
{
    private ManualResetValueTaskSourceCore<BatchOutcome> _core;
    private int _completed;

    public BatchOp(BatchOpKind kind, string key, byte[]? value)
    {
        Kind = kind;
        Key = key;
        Hash = KeyHash.Of(key);
        Value = value;
        Size = key.Length + (value?.Length ?? 0);
    }

    public BatchOpKind Kind { get; }

    public string Key { get; }

    public ulong Hash { get; }

    /// <summary>A write's encoded value; after a read, the value read (null when the key is not stored).</summary>
    public byte[]? Value { get; set; }

    /// <summary>The bytes the operation adds to a batch (key characters and value bytes).</summary>
    public int Size { get; }

    /// <summary>For <see cref="BatchOpKind.Update"/>: the update.</summary>
    public KeyUpdate? Update { get; init; }

    /// <summary>For <see cref="BatchOpKind.Update"/>: the master's answer, once it came.</summary>
    public UpdateResult? UpdateResult { get; set; }

    /// <summary>A write's id (<see cref="WriteIdSource"/>), the same on every attempt.</summary>
    public long WriteId { get; init; }

    /// <summary>Sent in a batch of its own from now on (see <see cref="BatchOutcome.Alone"/>).</summary>
    public bool Alone { get; set; }

    /// <summary>The ring the caller routed this attempt with, and the index of the key's range in it.</summary>
    public Ring Ring { get; private set; } = null!;

    public int RangeIndex { get; set; }

    /// <summary>The ring version the attempt was sent with (a batch goes with the newest ring the client has).</summary>
    public long SentRingVersion { get; set; }

    public RingUpdate? MovedTo { get; set; }

    public Exception? Error { get; set; }

    /// <summary>Starts an attempt routed with <paramref name="ring"/>.</summary>
    public ValueTask<BatchOutcome> Start(Ring ring, int rangeIndex)
    {
        _core.Reset();
        Ring = ring;
        RangeIndex = rangeIndex;
        SentRingVersion = ring.Version;
        MovedTo = null;
        Error = null;
        _completed = 0;
        return new ValueTask<BatchOutcome>(this, _core.Version);
    }

    /// <summary>
    /// Ends the attempt, unless the caller gave up waiting first (<see cref="Cancel"/>); the caller continues on this
    /// thread unless it awaits with a context.
    /// </summary>
    public void Complete(BatchOutcome outcome)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetResult(outcome);
        }
    }

    /// <summary>The caller's token was cancelled: ends the attempt now; the batch carrying the operation goes on without it.</summary>
    public void Cancel() => Complete(BatchOutcome.Cancelled);

    BatchOutcome IValueTaskSource<BatchOutcome>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<BatchOutcome>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<BatchOutcome>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
