using System.Collections.Immutable;

namespace DiMint;

/// <summary>
/// A version of the ring: ranges sorted by start that cover <c>[0, 2^64)</c> with no gap or overlap.
/// Every change makes a new <see cref="Ring"/> with a higher <see cref="Version"/>. It travels in <see cref="RingCodec"/>'s
/// compact form (<see cref="RingWireForm"/>), and is never copied within a process (it is immutable).
/// </summary>
[Immutable, Alias("DiMint.Ring")]
public sealed record Ring
{
    /// <summary>Grows with every change.</summary>
    public required long Version { get; init; }

    /// <summary>The ranges, sorted by <see cref="RangeInfo.Start"/>.</summary>
    public required ImmutableArray<RangeInfo> Ranges { get; init; }

    /// <summary>The id the next new range gets.</summary>
    public required int NextRangeId { get; init; }

    /// <summary>The range owning <paramref name="hash"/>.</summary>
    public RangeInfo Find(ulong hash) => Ranges[IndexOf(hash)];

    /// <summary>The index in <see cref="Ranges"/> of the range owning <paramref name="hash"/>.</summary>
    public int IndexOf(ulong hash)
    {
        // The last range whose start is <= hash.
        int low = 0, high = Ranges.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) >>> 1;
            if (Ranges[mid].Start <= hash)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    /// <summary>The range with id <paramref name="id"/>, or null.</summary>
    public RangeInfo? FindById(int id)
    {
        foreach (var range in Ranges)
        {
            if (range.Id == id)
            {
                return range;
            }
        }

        return null;
    }

    /// <summary>Throws unless the ranges cover the ring exactly once, in order.</summary>
    /// <exception cref="InvalidOperationException">There is a gap, an overlap or an empty range.</exception>
    public void Validate()
    {
        if (Ranges.IsDefaultOrEmpty)
        {
            throw new InvalidOperationException("The ring has no ranges.");
        }

        if (Ranges[0].Start != 0)
        {
            throw new InvalidOperationException($"The first range starts at {Ranges[0].Start:x16}, not 0.");
        }

        for (var i = 0; i < Ranges.Length; i++)
        {
            var range = Ranges[i];
            var last = i == Ranges.Length - 1;
            if (!last && range.End == 0)
            {
                throw new InvalidOperationException($"Range {range.Id} reaches the end of the ring but is not last.");
            }

            if (range.End != 0 && range.End <= range.Start)
            {
                throw new InvalidOperationException($"Range {range.Id} is empty or reversed: {range.BoundsText}.");
            }

            if (last && range.End != 0)
            {
                throw new InvalidOperationException($"The last range ends at {range.End:x16}, not 2^64.");
            }

            if (!last && Ranges[i + 1].Start != range.End)
            {
                throw new InvalidOperationException($"Ranges {range.Id} and {Ranges[i + 1].Id} do not meet.");
            }
        }
    }
}
