using System.Buffers.Binary;
using System.Globalization;

namespace DiMint.Cli.Bench;

/// <summary>
/// The benchmark's keys and values. Each key's value is a fixed function of the seed and the key's index, so every
/// write of a key stores the same bytes and a read is checked by regenerating them, without keeping them.
/// </summary>
internal sealed class BenchValues(int valueSize, int seed)
{
    public int ValueSize { get; } = valueSize;

    public static string Key(long index) => string.Create(CultureInfo.InvariantCulture, $"bench:{index}");

    public byte[] ValueOf(long index)
    {
        var value = new byte[ValueSize];
        Fill(index, value);
        return value;
    }

    /// <summary>Whether <paramref name="value"/> is what the key with <paramref name="index"/> should hold; <paramref name="scratch"/> is at least <see cref="ValueSize"/> long.</summary>
    public bool IsValueOf(long index, ReadOnlySpan<byte> value, Span<byte> scratch)
    {
        if (value.Length != ValueSize)
        {
            return false;
        }

        var expected = scratch[..ValueSize];
        Fill(index, expected);
        return value.SequenceEqual(expected);
    }

    private void Fill(long index, Span<byte> destination)
    {
        // SplitMix64: cheap, and good enough that values do not compress into something unrealistic.
        var state = unchecked(((ulong)(uint)seed << 32) ^ (ulong)index * 0x9E3779B97F4A7C15UL);
        Span<byte> last = stackalloc byte[sizeof(ulong)];
        while (destination.Length > 0)
        {
            state = unchecked(state + 0x9E3779B97F4A7C15UL);
            var z = state;
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            if (destination.Length >= sizeof(ulong))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination, z);
                destination = destination[sizeof(ulong)..];
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(last, z);
                last[..destination.Length].CopyTo(destination);
                destination = [];
            }
        }
    }
}
