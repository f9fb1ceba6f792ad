using System.Collections.Immutable;
using System.Globalization;

namespace DiMint;

/// <summary>
/// One range of the ring: the half-open hash interval <c>[Start, End)</c> it owns, where <see cref="End"/> 0 stands for
/// 2^64 (the end of the ring), and where its copies live.
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeInfo")]
public sealed record RangeInfo
{
    /// <summary>The range's id, unique over the cluster's history (a split or merge makes new ids).</summary>
    [Id(0)]
    public required int Id { get; init; }

    /// <summary>The first hash the range owns.</summary>
    [Id(1)]
    public required ulong Start { get; init; }

    /// <summary>The first hash past the range; 0 means 2^64, the end of the ring.</summary>
    [Id(2)]
    public required ulong End { get; init; }

    /// <summary>The silo holding the master copy.</summary>
    [Id(3)]
    public required SiloAddress Master { get; init; }

    /// <summary>The silos holding replicas (other than the master's).</summary>
    [Id(4)]
    public ImmutableArray<SiloAddress> Replicas { get; init; } = [];

    /// <summary>Grows each time the range's master changes; part of the master grain's identity.</summary>
    [Id(5)]
    public long Epoch { get; init; } = 1;

    /// <summary>
    /// The epoch at which the ring made this range with no data (a new ring, or an operator's recovery of a range whose
    /// copies were all lost); 0 when its data comes from an existing copy. Only a master of that very epoch that finds no
    /// copy on its silo starts empty: any other refuses to, so a lost copy is never silently replaced by an empty one.
    /// </summary>
    [Id(6)]
    public long EmptyEpoch { get; init; }

    /// <summary>
    /// Whether <paramref name="other"/> says the same of the same range: bounds, copies and epochs. (A record's own
    /// equality compares <see cref="Replicas"/> by reference, so a decoded copy of a range would not equal it.)
    /// </summary>
    public bool SameAs(RangeInfo other) =>
        ReferenceEquals(this, other)
        || (Id == other.Id && Start == other.Start && End == other.End && Epoch == other.Epoch && EmptyEpoch == other.EmptyEpoch
            && Master.Equals(other.Master) && Replicas.AsSpan().SequenceEqual(other.Replicas.AsSpan()));

    /// <summary>The number of hashes in the range (up to 2^64).</summary>
    public UInt128 Size => (End == 0 ? (UInt128)ulong.MaxValue + 1 : End) - Start;

    /// <summary>Whether <paramref name="hash"/> falls in the range.</summary>
    public bool Contains(ulong hash) => hash >= Start && (End == 0 || hash < End);

    /// <summary>
    /// The key of the master's range grain: id, epoch and silo. A new epoch or a new silo is a new grain,
    /// so a promoted or moved master never waits for the old activation to go away.
    /// </summary>
    public string GrainKey => FormattableString.Invariant($"{Id}/{Epoch}/{Master.ToParsableString()}");

    /// <summary>The bounds as hexadecimal text, <c>[0x..., 0x...)</c>.</summary>
    public string BoundsText => string.Create(CultureInfo.InvariantCulture, $"[0x{Start:x16}, {(End == 0 ? "2^64" : $"0x{End:x16}")})");
}
