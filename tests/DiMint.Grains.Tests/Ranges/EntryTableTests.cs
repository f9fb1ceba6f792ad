using DiMint.Grains.Ranges;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// The packed entry table answers exactly what a dictionary would, through writes in place, appends, deletes, page
/// compaction and table growth, and holds no more page memory than its live records need plus the dead ones it bounds.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EntryTableTests
{
    [Fact]
    public void RandomWritesAndDeletes_AnswerWhatADictionaryAnswers()
    {
        var random = new Random(17);
        var table = new EntryTable();
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        // Few keys, many changes: values of every size class (empty, small, over a page's solo threshold) replace each
        // other, so records are written in place, appended, killed, compacted and freed.
        var keys = Enumerable.Range(0, 1_000).Select(i => i % 7 == 0 ? $"ключ-{i}-{new string('x', i % 200)}" : $"k{i}").ToArray();
        for (var step = 0; step < 40_000; step++)
        {
            var key = keys[random.Next(keys.Length)];
            if (random.Next(5) == 0)
            {
                Assert.Equal(expected.Remove(key), table.Remove(key));
            }
            else
            {
                var value = new byte[random.Next(20) == 0 ? random.Next(EntryTable.SoloRecord, EntryTable.SoloRecord * 2) : random.Next(0, 300)];
                random.NextBytes(value);
                Assert.Equal(!expected.ContainsKey(key), table.Set(key, value));
                expected[key] = value;
            }

            if (step % 5_000 == 0)
            {
                AssertSame(expected, table);
            }
        }

        AssertSame(expected, table);
    }

    [Fact]
    public void OverwritesOfOtherSizes_KeepPageMemoryWithinTwiceTheLiveBytes()
    {
        var table = new EntryTable();
        var random = new Random(3);
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 5_000; i++)
            {
                table.Set($"key:{i}", new byte[random.Next(50, 150)]);
            }
        }

        long live = 0;
        foreach (var entry in table)
        {
            live += entry.KeyUtf8.Length + entry.Value.Length + 2;
        }

        Assert.Equal(5_000, table.Count);
        Assert.True(table.PageBytes <= 2 * live + 2 * EntryTable.PageSize, $"{table.PageBytes} bytes of pages for {live} live bytes");
    }

    [Fact]
    public void DeletingEverything_FreesEveryPage()
    {
        var table = new EntryTable();
        for (var i = 0; i < 5_000; i++)
        {
            table.Set($"key:{i}", new byte[i % 50 == 0 ? EntryTable.SoloRecord : 100]);
        }

        for (var i = 0; i < 5_000; i++)
        {
            Assert.True(table.Remove($"key:{i}"));
        }

        Assert.Equal(0, table.Count);
        Assert.True(table.PageBytes <= EntryTable.PageSize, $"{table.PageBytes} bytes of pages left with no entries");
        Assert.False(table.TryGetValue("key:1", out byte[] _));
    }

    [Fact]
    public void ATableFilledFromAnotherTablesWalk_KeepsItsProbesShort()
    {
        // A snapshot, a split or a merge fills a new table in the order of another table's slots. With one hash for all
        // tables those keys piled up into one run of probes: a replica took seconds per snapshot chunk.
        var source = new EntryTable();
        for (var i = 0; i < 300_000; i++)
        {
            source.Set($"split:{i}", "x"u8);
        }

        // The first 60% of the walk, as a replica holds it after three of five snapshot chunks.
        var copy = new EntryTable();
        foreach (var entry in source)
        {
            if (copy.Count == 180_000)
            {
                break;
            }

            copy.Set(entry.Key, entry.Value);
        }

        Assert.True(source.LongestProbe() < 500, $"an entry of the source sits {source.LongestProbe()} slots from its own");
        Assert.True(copy.LongestProbe() < 500, $"an entry of the copy sits {copy.LongestProbe()} slots from its own");
    }

    [Fact]
    public void ValueCopies_DoNotChangeWhenTheKeyIsWrittenAgain()
    {
        var table = new EntryTable();
        table.Set("k", "one"u8);
        Assert.True(table.TryGetValue("k", out byte[] first));

        table.Set("k", "two"u8);

        Assert.Equal("one"u8.ToArray(), first);
        Assert.True(table.TryGetValue("k", out byte[] second));
        Assert.Equal("two"u8.ToArray(), second);
    }

    [Fact]
    public void ALargeValue_IsKeptAsTheArrayItWasStoredFrom_AndReplacedWhole()
    {
        var table = new EntryTable();
        var large = new byte[EntryTable.SoloRecord];
        var other = new byte[EntryTable.SoloRecord];
        other[0] = 7;

        table.Set("big", large, large);
        Assert.True(table.TryGetValue("big", out byte[] read));
        Assert.Same(large, read);

        // A value of the same length replaces the array, never writes into it.
        table.Set("big", other);
        Assert.True(table.TryGetValue("big", out byte[] again));
        Assert.Equal(0, large[0]);
        Assert.Equal(other, again);
        Assert.NotSame(other, again);
    }

    [Fact]
    public void Clear_ForgetsEverything_AndTheTableServesAgain()
    {
        var table = new EntryTable();
        for (var i = 0; i < 1_000; i++)
        {
            table.Set($"k{i}", new byte[10]);
        }

        table.Clear();

        Assert.Equal(0, table.Count);
        Assert.Empty(table.Keys());
        Assert.False(table.ContainsKey("k1"));
        table.Set("k1", "v"u8);
        Assert.True(table.TryGetValue("k1", out byte[] value));
        Assert.Equal("v"u8.ToArray(), value);
    }

    private static void AssertSame(Dictionary<string, byte[]> expected, EntryTable table)
    {
        Assert.Equal(expected.Count, table.Count);
        foreach (var (key, value) in expected)
        {
            Assert.True(table.TryGetValue(key, out byte[] stored), $"{key} is missing");
            Assert.Equal(value, stored);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in table)
        {
            var key = entry.Key;
            Assert.True(seen.Add(key), $"{key} enumerated twice");
            Assert.True(expected.TryGetValue(key, out var value), $"{key} enumerated but not stored");
            Assert.True(entry.Value.SequenceEqual(value));
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), table.Keys().Order(StringComparer.Ordinal));
    }
}
