using System.Runtime.CompilerServices;

namespace DiMint;

/// <summary>
/// A ring sent to whoever holds an older version of it: only what changed since the version the receiver said it holds
/// (<see cref="RingCodec.EncodeDelta"/>), or the whole ring when the sender no longer has that version or most of the
/// ring changed. The receiver applies it to its copy (<see cref="RingCache.TakeAsync"/>). A split, a move or a
/// promotion in a ring of 10,000 ranges is a few dozen bytes this way, where the whole ring is about 174 KB.
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.RingUpdate")]
public sealed record RingUpdate
{
    /// <summary>The ring's version once the update is applied.</summary>
    [Id(0)]
    public required long Version { get; init; }

    /// <summary>The whole ring, or null when <see cref="Delta"/> is set.</summary>
    [Id(1)]
    public Ring? Whole { get; init; }

    /// <summary>The version <see cref="Delta"/> applies to.</summary>
    [Id(2)]
    public long BaseVersion { get; init; }

    /// <summary>What turns the ring of <see cref="BaseVersion"/> into this one, or null when <see cref="Whole"/> is set.</summary>
    [Id(3)]
    public byte[]? Delta { get; init; }

    /// <summary>Each ring's deltas from the bases it was lately sent against: many receivers hold the same older version.</summary>
    private static readonly ConditionalWeakTable<Ring, DeltaCache> Deltas = [];

    /// <summary>The whole <paramref name="ring"/>.</summary>
    public static RingUpdate Of(Ring ring) => new() { Version = ring.Version, Whole = ring };

    /// <summary>
    /// What takes a receiver holding <paramref name="known"/> (the sender's copy of the version the receiver named; null
    /// when the sender has none) to <paramref name="ring"/>. When they are the same version (a watch that saw no change)
    /// the delta says so in a few bytes.
    /// </summary>
    public static RingUpdate Between(Ring? known, Ring ring)
    {
        if (known is null || known.Version > ring.Version)
        {
            return Of(ring);
        }

        var delta = Deltas.GetValue(ring, static _ => new DeltaCache()).From(known, ring);

        // A delta that rewrites most of the ring (at about 17 bytes a range whole) is sent as the whole ring.
        return delta.Length > 12 * ring.Ranges.Length ? Of(ring) : new RingUpdate { Version = ring.Version, BaseVersion = known.Version, Delta = delta };
    }

    /// <summary>The deltas to one ring from its last few bases.</summary>
    private sealed class DeltaCache
    {
        private const int Keep = 4;
        private readonly Lock _lock = new();
        private readonly List<(Ring Base, byte[] Delta)> _deltas = [];

        public byte[] From(Ring known, Ring ring)
        {
            lock (_lock)
            {
                foreach (var (from, delta) in _deltas)
                {
                    if (ReferenceEquals(from, known))
                    {
                        return delta;
                    }
                }
            }

            var encoded = RingCodec.EncodeDelta(known, ring);
            lock (_lock)
            {
                if (_deltas.Count == Keep)
                {
                    _deltas.RemoveAt(0);
                }

                _deltas.Add((known, encoded));
            }

            return encoded;
        }
    }
}
