using System.Buffers;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace DiMint.Grains.Ranges;

/// <summary>
/// A range copy's entries, packed: each entry is one record (its key's UTF-8 bytes and its value) inside 64 KiB pages,
/// found through an open-addressing table of hashes and record locations. No object per entry: a key and a value cost
/// their own bytes, a two-byte header and about twenty bytes of table, where a <c>Dictionary&lt;string, byte[]&gt;</c>
/// cost two object headers, a string of UTF-16 and its entry, and left the garbage collector millions of objects to mark.
/// </summary>
/// <remarks>
/// <para>
/// Not thread-safe: its owner (<see cref="RangeData"/>) holds its lock around every call, and a value read as a span is
/// valid only until the next change, which may write over it or move it. Values given out as arrays are copies, but for large ones (below).
/// </para>
/// <para>
/// A write of a value as long as the one it replaces (neither large) writes over it in place. Any other write appends a new record to
/// the current page and leaves the old one dead. A page whose dead bytes reach half of its used bytes, once it is no
/// longer the page being appended to, is compacted: its live records move to the current page and it is freed. So dead
/// records hold at most about as much memory again as live ones, and typically far less. A record over 16 KiB gets a
/// page of its own, which keeps the value as the array it was stored from (readers get that array, not a copy), and is
/// freed when the record dies.
/// </para>
/// </remarks>
internal sealed class EntryTable
{
    /// <summary>The size of a shared page: below the large-object heap's threshold, so the collector compacts pages like any array.</summary>
    internal const int PageSize = 64 * 1024;

    /// <summary>Records this long or longer get a page of their own.</summary>
    internal const int SoloRecord = 16 * 1024;

    private const int MinSlots = 16;

    private struct Page
    {
        public byte[]? Bytes;

        /// <summary>A solo page's value: the array the value was stored from, never written to, so readers get it as it is.</summary>
        public byte[]? Value;
        public int Used;
        public int Dead;
        public bool Solo;
    }

    /// <summary>
    /// This table's hash seed. Tables are filled from other tables' walks (snapshots, splits, merges), which come in slot
    /// order: with one hash for every table, those keys would arrive sorted by their slot here too and pile up into one
    /// long probe run (300,000 keys took seconds instead of milliseconds). A seed of its own scatters them.
    /// </summary>
    private readonly long _seed = Random.Shared.NextInt64();

    /// <summary>The slots' hashes (0: empty) and the records' locations (page index &lt;&lt; 32 | offset), linear probing.</summary>
    private int[] _hashes = [];
    private long[] _locations = [];
    private int _count;

    private Page[] _pages = [];
    private int _pageCount;
    private readonly Stack<int> _freePages = new();
    private int _current = -1;

    /// <summary>A freed shared page kept for the next one needed (zeroing is not needed: records are written whole).</summary>
    private byte[]? _spare;

    public int Count => _count;

    /// <summary>The bytes of the pages held (live and dead records and the free end of the current page), for tests and status.</summary>
    public long PageBytes
    {
        get
        {
            long bytes = 0;
            for (var p = 0; p < _pageCount; p++)
            {
                bytes += (_pages[p].Bytes?.Length ?? 0) + (_pages[p].Value?.Length ?? 0);
            }

            return bytes;
        }
    }

    /// <summary>The farthest any entry sits from the slot its hash names (a lookup's probes are at most one more), for tests.</summary>
    public int LongestProbe()
    {
        var mask = _hashes.Length - 1;
        var longest = 0;
        for (var slot = 0; slot < _hashes.Length; slot++)
        {
            if (_hashes[slot] != 0)
            {
                longest = Math.Max(longest, (slot - (_hashes[slot] & mask)) & mask);
            }
        }

        return longest;
    }

    /// <summary>The value of <paramref name="key"/>, as a view of the stored bytes valid until the next change.</summary>
    public bool TryGetValue(string key, out ReadOnlySpan<byte> value)
    {
        var slot = SlotOf(key);
        if (slot < 0)
        {
            value = default;
            return false;
        }

        value = ValueAt(_locations[slot]);
        return true;
    }

    /// <summary>The value of <paramref name="key"/> as an array of its own: a copy, or a large value's own array (never written to).</summary>
    public bool TryGetValue(string key, out byte[] value)
    {
        var slot = SlotOf(key);
        if (slot < 0)
        {
            value = null!;
            return false;
        }

        var location = _locations[slot];
        value = _pages[PageOf(location)].Value ?? ValueAt(location).ToArray();
        return true;
    }

    public bool ContainsKey(string key) => TryGetValue(key, out ReadOnlySpan<byte> _);

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/>: a copy of its bytes, or for a large value
    /// <paramref name="array"/> itself when given (the caller never writes to it again); whether the key was new.
    /// </summary>
    public bool Set(string key, ReadOnlySpan<byte> value, byte[]? array = null)
    {
        using var utf8 = new KeyBytes(key, stackalloc byte[KeyBytes.StackSize]);
        var keyBytes = utf8.Span;
        var hash = Hash(keyBytes);
        var slot = FindSlot(keyBytes, hash);
        if (slot >= 0)
        {
            var location = _locations[slot];
            ref var page = ref _pages[PageOf(location)];
            var at = Offset(location);
            var (keyLength, valueLength, header) = ReadHeader(page.Bytes!, at);
            if (valueLength == value.Length && !page.Solo)
            {
                value.CopyTo(page.Bytes.AsSpan(at + header + keyLength, valueLength));
                return false;
            }

            var oldLength = RecordLength(page, header, keyLength, valueLength);
            _locations[slot] = Append(keyBytes, value, array);
            Kill(location, oldLength);
            return false;
        }

        if (_count + 1 > _hashes.Length / 4 * 3)
        {
            Resize(Math.Max(MinSlots, _hashes.Length * 2));
        }

        var empty = hash & (_hashes.Length - 1);
        while (_hashes[empty] != 0)
        {
            empty = (empty + 1) & (_hashes.Length - 1);
        }

        _hashes[empty] = hash;
        _locations[empty] = Append(keyBytes, value, array);
        _count++;
        return true;
    }

    /// <summary>Removes <paramref name="key"/>; whether it was stored.</summary>
    public bool Remove(string key)
    {
        var slot = SlotOf(key);
        if (slot < 0)
        {
            return false;
        }

        var location = _locations[slot];
        ref var page = ref _pages[PageOf(location)];
        var (keyLength, valueLength, header) = ReadHeader(page.Bytes!, Offset(location));
        RemoveSlot(slot);
        _count--;
        Kill(location, RecordLength(page, header, keyLength, valueLength));
        return true;
    }

    public void Clear()
    {
        _hashes = [];
        _locations = [];
        _count = 0;
        _pages = [];
        _pageCount = 0;
        _freePages.Clear();
        _current = -1;
        _spare = null;
    }

    /// <summary>Every key, decoded.</summary>
    public string[] Keys()
    {
        var keys = new string[_count];
        var i = 0;
        foreach (var entry in this)
        {
            keys[i++] = entry.Key;
        }

        return keys;
    }

    /// <summary>The entries in no particular order; the table must not change while they are enumerated.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Walks the slots; each entry's key and value are views of the stored bytes.</summary>
    public ref struct Enumerator(EntryTable table)
    {
        private int _slot = -1;

        public readonly Entry Current => table.EntryAt(table._locations[_slot]);

        public bool MoveNext()
        {
            while (++_slot < table._hashes.Length)
            {
                if (table._hashes[_slot] != 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One stored entry: views of its key's UTF-8 bytes and its value.</summary>
    public readonly ref struct Entry(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> value)
    {
        public ReadOnlySpan<byte> KeyUtf8 { get; } = keyUtf8;

        public ReadOnlySpan<byte> Value { get; } = value;

        public string Key => Encoding.UTF8.GetString(KeyUtf8);
    }

    private Entry EntryAt(long location)
    {
        ref var page = ref _pages[PageOf(location)];
        var at = Offset(location);
        var (keyLength, valueLength, header) = ReadHeader(page.Bytes!, at);
        return new Entry(page.Bytes.AsSpan(at + header, keyLength), page.Value ?? page.Bytes.AsSpan(at + header + keyLength, valueLength));
    }

    private ReadOnlySpan<byte> ValueAt(long location)
    {
        ref var page = ref _pages[PageOf(location)];
        var at = Offset(location);
        var (keyLength, valueLength, header) = ReadHeader(page.Bytes!, at);
        return page.Value ?? page.Bytes.AsSpan(at + header + keyLength, valueLength);
    }

    /// <summary>The bytes a record takes in its page (a solo record's value is not in it).</summary>
    private static int RecordLength(in Page page, int header, int keyLength, int valueLength) =>
        header + keyLength + (page.Solo ? 0 : valueLength);

    private int Hash(ReadOnlySpan<byte> keyUtf8)
    {
        var hash = (int)XxHash3.HashToUInt64(keyUtf8, _seed);
        return hash == 0 ? 1 : hash;
    }

    private static int PageOf(long location) => (int)(location >> 32);

    private static int Offset(long location) => (int)location;

    /// <summary>The slot of <paramref name="key"/>, or -1.</summary>
    private int SlotOf(string key)
    {
        using var utf8 = new KeyBytes(key, stackalloc byte[KeyBytes.StackSize]);
        return FindSlot(utf8.Span, Hash(utf8.Span));
    }

    private int FindSlot(ReadOnlySpan<byte> keyUtf8, int hash)
    {
        if (_count == 0)
        {
            return -1;
        }

        var mask = _hashes.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            var h = _hashes[slot];
            if (h == 0)
            {
                return -1;
            }

            if (h == hash && EntryAt(_locations[slot]).KeyUtf8.SequenceEqual(keyUtf8))
            {
                return slot;
            }
        }
    }

    /// <summary>Empties <paramref name="slot"/> and shifts the entries after it back, so every probe still finds its key.</summary>
    private void RemoveSlot(int slot)
    {
        var mask = _hashes.Length - 1;
        var next = slot;
        while (true)
        {
            next = (next + 1) & mask;
            var hash = _hashes[next];
            if (hash == 0)
            {
                break;
            }

            // The entry at next may move to slot when its home is not cyclically within (slot, next].
            var home = hash & mask;
            var stays = slot <= next ? slot < home && home <= next : slot < home || home <= next;
            if (!stays)
            {
                _hashes[slot] = hash;
                _locations[slot] = _locations[next];
                slot = next;
            }
        }

        _hashes[slot] = 0;
        _locations[slot] = 0;
    }

    private void Resize(int slots)
    {
        var (hashes, locations) = (_hashes, _locations);
        _hashes = new int[slots];
        _locations = new long[slots];
        var mask = slots - 1;
        for (var i = 0; i < hashes.Length; i++)
        {
            if (hashes[i] == 0)
            {
                continue;
            }

            var slot = hashes[i] & mask;
            while (_hashes[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _hashes[slot] = hashes[i];
            _locations[slot] = locations[i];
        }
    }

    /// <summary>
    /// Writes a record and answers its location. A record of <see cref="SoloRecord"/> bytes or more gets a page of its
    /// own, which holds its header and key, and keeps the value as an array of its own (<paramref name="array"/> when given).
    /// </summary>
    private long Append(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> value, byte[]? array)
    {
        var header = VarInt.Length(keyUtf8.Length) + VarInt.Length(value.Length);
        var length = header + keyUtf8.Length + value.Length;
        int page;
        if (length >= SoloRecord)
        {
            page = NewPage(new byte[header + keyUtf8.Length], solo: true);
            _pages[page].Value = array ?? value.ToArray();
            length = header + keyUtf8.Length;
            value = default;
        }
        else
        {
            if (_current < 0 || _pages[_current].Used + length > PageSize)
            {
                var spare = _spare ?? new byte[PageSize];
                _spare = null;
                _current = NewPage(spare, solo: false);
            }

            page = _current;
        }

        ref var target = ref _pages[page];
        var at = target.Used;
        var span = target.Bytes.AsSpan(at, length);
        var written = VarInt.Write(span, keyUtf8.Length);
        written += VarInt.Write(span[written..], target.Value?.Length ?? value.Length);
        keyUtf8.CopyTo(span[written..]);
        value.CopyTo(span[(written + keyUtf8.Length)..]);
        target.Used += length;
        return ((long)page << 32) | (uint)at;
    }

    private int NewPage(byte[] bytes, bool solo)
    {
        int page;
        if (!_freePages.TryPop(out page))
        {
            if (_pageCount == _pages.Length)
            {
                Array.Resize(ref _pages, Math.Max(4, _pages.Length * 2));
            }

            page = _pageCount++;
        }

        _pages[page] = new Page { Bytes = bytes, Solo = solo };
        return page;
    }

    /// <summary>Counts a record as dead; frees or compacts its page when that is due.</summary>
    private void Kill(long location, int length)
    {
        var index = PageOf(location);
        ref var page = ref _pages[index];
        page.Dead += length;
        if (page.Solo || page.Dead == page.Used)
        {
            FreePage(index);
        }
        else if (index != _current && page.Dead * 2 >= page.Used)
        {
            Compact(index);
        }
    }

    /// <summary>Moves the live records of <paramref name="index"/> to the current page and frees it.</summary>
    private void Compact(int index)
    {
        var bytes = _pages[index].Bytes!;
        var used = _pages[index].Used;
        var mask = _hashes.Length - 1;
        for (var at = 0; at < used;)
        {
            var (keyLength, valueLength, header) = ReadHeader(bytes, at);
            var keyUtf8 = bytes.AsSpan(at + header, keyLength);
            var location = ((long)index << 32) | (uint)at;

            // Live when its key's slot still points here (a location names one record).
            for (var slot = Hash(keyUtf8) & mask; _hashes[slot] != 0; slot = (slot + 1) & mask)
            {
                if (_locations[slot] == location)
                {
                    _locations[slot] = Append(keyUtf8, bytes.AsSpan(at + header + keyLength, valueLength), null);
                    break;
                }
            }

            at += header + keyLength + valueLength;
        }

        FreePage(index);
    }

    private void FreePage(int index)
    {
        ref var page = ref _pages[index];
        if (!page.Solo && _spare is null)
        {
            _spare = page.Bytes;
        }

        if (index == _current)
        {
            _current = -1;
        }

        page = default;
        _freePages.Push(index);
    }

    private static (int KeyLength, int ValueLength, int Header) ReadHeader(byte[] bytes, int at)
    {
        var (keyLength, first) = ReadVar(bytes, at);
        var (valueLength, second) = ReadVar(bytes, at + first);
        return (keyLength, valueLength, first + second);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Value, int Length) ReadVar(byte[] bytes, int at)
    {
        var b = bytes[at];
        if (b < 0x80)
        {
            return (b, 1);
        }

        var value = 0;
        var shift = 0;
        var i = at;
        do
        {
            b = bytes[i++];
            value |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        return (value, i - at);
    }

    /// <summary>A key's UTF-8 bytes: in the caller's stack buffer for usual keys, else in a rented array returned on dispose.</summary>
    private ref struct KeyBytes
    {
        /// <summary>The stack buffer callers give: room for keys of up to 80 characters.</summary>
        public const int StackSize = 243;

        private byte[]? _rented;

        public KeyBytes(string key, Span<byte> stack)
        {
            var buffer = Encoding.UTF8.GetMaxByteCount(key.Length) <= stack.Length
                ? stack
                : _rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(key));
            Span = buffer[..Encoding.UTF8.GetBytes(key, buffer)];
        }

        public ReadOnlySpan<byte> Span { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
                _rented = null;
            }
        }
    }
}
