using System.Collections.Concurrent;
using DiMint.Grains.Overlord;
using Orleans.Runtime.GrainDirectory;

namespace DiMint.Grains.Placement;

/// <summary>
/// The silo's cache of DiMint's grain directories (<see cref="SiloPinnedGrainDirectory"/>, <see cref="OverlordDirectory"/>),
/// in place of Orleans' own: it keeps where pinned grains live (computed from their keys, so an entry is right until that
/// silo dies, and then Orleans drops it when a message fails), and never where the overlord lives. The overlord moves with
/// its lease: a cached address of a holder that is paused or cut off would hold every call to the overlord until Orleans
/// declared that silo dead (10 s), where asking the directory each time finds the new holder at once.
/// </summary>
internal sealed class DirectoryCache : IGrainDirectoryCache
{
    /// <summary>Entries kept at most; the cache starts over when full (a lookup is cheap: both directories compute it).</summary>
    private const int Capacity = 100_000;

    private static readonly GrainType OverlordType = GrainType.Create(OverlordGrain.TypeName);
    private readonly ConcurrentDictionary<GrainId, (GrainAddress Address, int Version)> _entries = new();

    public IEnumerable<(GrainAddress ActivationAddress, int Version)> KeyValues => _entries.Values;

    public void AddOrUpdate(GrainAddress value, int version)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.GrainId.Type.Equals(OverlordType))
        {
            return;
        }

        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        _entries[value.GrainId] = (value, version);
    }

    public bool Remove(GrainId key) => _entries.TryRemove(key, out _);

    public bool Remove(GrainAddress key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _entries.TryGetValue(key.GrainId, out var entry) && entry.Address.Equals(key) && _entries.TryRemove(KeyValuePair.Create(key.GrainId, entry));
    }

    public void Clear() => _entries.Clear();

    public bool LookUp(GrainId key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GrainAddress? result, out int version)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            (result, version) = entry;
            return true;
        }

        (result, version) = (null, 0);
        return false;
    }
}
