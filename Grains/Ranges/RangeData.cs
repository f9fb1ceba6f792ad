using System.Text;

namespace DiMint.Grains.Ranges;

/// <summary>
/// The entries of one range on this silo. It lives in <see cref="RangeStore"/>, not in the grain activation,
/// so the data outlives any deactivation. Mutated only from its range grain's turns; the counters may be read
/// from anywhere.
/// </summary>
internal sealed class RangeData
{
    private readonly Dictionary<string, byte[]> _entries;
    private long _bytes;
    private long _count;

    public RangeData(RangeInfo range, long ringVersion, int capacity = 0)
    {
        Range = range;
        RingVersion = ringVersion;
        _entries = new Dictionary<string, byte[]>(capacity, StringComparer.Ordinal);
    }

    /// <summary>The range as the grain last learned it.</summary>
    public RangeInfo Range { get; }

    /// <summary>The newest ring version at which the range was known to be current.</summary>
    public long RingVersion { get; set; }

    /// <summary>Set when the range no longer exists in this form (split, moved): the ring that replaced it.</summary>
    public Ring? RetiredBy { get; private set; }

    public long Count => Interlocked.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    public IReadOnlyDictionary<string, byte[]> Entries => _entries;

    public bool TryGet(string key, out byte[] value) => _entries.TryGetValue(key, out value!);

    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    public void Set(string key, byte[] value)
    {
        long delta;
        if (_entries.TryGetValue(key, out var old))
        {
            delta = value.Length - old.Length;
        }
        else
        {
            delta = SizeOf(key, value);
            Interlocked.Increment(ref _count);
        }

        _entries[key] = value;
        Interlocked.Add(ref _bytes, delta);
    }

    public bool Remove(string key)
    {
        if (!_entries.Remove(key, out var old))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -SizeOf(key, old));
        return true;
    }

    /// <summary>Drops the entries and answers Moved with <paramref name="ring"/> from now on.</summary>
    public void Retire(Ring ring)
    {
        RetiredBy = ring;
        _entries.Clear();
        _entries.TrimExcess();
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    public RangeStats Stats() => new() { RangeId = Range.Id, Keys = Count, Bytes = Bytes };

    public static long SizeOf(string key, byte[] value) => Encoding.UTF8.GetByteCount(key) + value.Length;
}
