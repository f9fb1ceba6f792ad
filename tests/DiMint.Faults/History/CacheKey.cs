namespace DiMint.Faults.History;

/// <summary>A (linearized set, register state) pair the search has already explored; see <see cref="LinearizedSet"/>.</summary>
internal readonly struct CacheKey : IEquatable<CacheKey>
{
    private readonly ulong[] _words;
    private readonly int _offset;
    private readonly int _low;
    private readonly int _length;
    private readonly int _state;
    private readonly ulong _hash;

    public CacheKey(ulong[] words, int offset, int low, int length, int state, ulong hash)
    {
        _words = words;
        _offset = offset;
        _low = low;
        _length = length;
        _state = state;
        _hash = hash;
    }

    public bool Equals(CacheKey other) =>
        _hash == other._hash
        && _state == other._state
        && _low == other._low
        && _length == other._length
        && _words.AsSpan(_offset, _length).SequenceEqual(other._words.AsSpan(other._offset, other._length));

    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
}
