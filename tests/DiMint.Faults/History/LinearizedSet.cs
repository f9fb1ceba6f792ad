using System.Numerics;

namespace DiMint.Faults.History;

/// <summary>
/// The set of operations linearized so far, as a bitset over operations numbered in invocation order, with an
/// incremental Zobrist hash. Because the search linearizes roughly in invocation order, the set is almost always
/// "everything below <c>first zero</c>" plus a few bits above it; a cache key stores only that window, so memory and
/// hashing stay proportional to the concurrency, not to the length of the key's history.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _words;
    private readonly ulong[] _zobrist;
    private int _firstZero;
    private int _highest = -1;
    private ulong _hash;

    public LinearizedSet(int count)
    {
        _words = new ulong[(count + 63) / 64];
        _zobrist = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            _zobrist[i] = SplitMix64((ulong)i);
        }
    }

    public void Set(int operation)
    {
        _words[operation >> 6] |= 1UL << operation;
        _hash ^= _zobrist[operation];
        _highest = Math.Max(_highest, operation);
        if (operation == _firstZero)
        {
            var word = operation >> 6;
            while (word < _words.Length && _words[word] == ulong.MaxValue)
            {
                word++;
            }

            _firstZero = word < _words.Length ? (word << 6) + BitOperations.TrailingZeroCount(~_words[word]) : _words.Length << 6;
        }
    }

    public void Clear(int operation)
    {
        _words[operation >> 6] &= ~(1UL << operation);
        _hash ^= _zobrist[operation];
        _firstZero = Math.Min(_firstZero, operation);
        if (operation == _highest)
        {
            var word = operation >> 6;
            while (word >= 0 && _words[word] == 0)
            {
                word--;
            }

            _highest = word < 0 ? -1 : (word << 6) + 63 - BitOperations.LeadingZeroCount(_words[word]);
        }
    }

    /// <summary>A key over the live bits, for lookups only: it changes as the set does.</summary>
    public CacheKey Probe(int state)
    {
        var (low, length) = Window();
        return new CacheKey(_words, low, low, length, state, Hash(state));
    }

    /// <summary>A key with its own copy of the window, to store in the cache.</summary>
    public CacheKey Snapshot(int state)
    {
        var (low, length) = Window();
        return new CacheKey(_words.AsSpan(low, length).ToArray(), 0, low, length, state, Hash(state));
    }

    // Words below `low` are all ones (every bit below the first zero is set) and words after the highest set bit
    // are all zero, so (low, the words between) identifies the set.
    private (int Low, int Length) Window()
    {
        var low = _firstZero >> 6;
        var length = Math.Max(0, (_highest >> 6) - low + 1);
        return (low, length);
    }

    private ulong Hash(int state) => _hash ^ SplitMix64((uint)state | (1UL << 63));

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
