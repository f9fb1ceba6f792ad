namespace DiMint;

/// <summary>What a <see cref="KeyUpdate"/> does to its key.</summary>
public enum KeyUpdateKind
{
    /// <summary>Stores <see cref="KeyUpdate.Value"/> if <see cref="KeyUpdate.Condition"/> holds, with <see cref="KeyUpdate.Ttl"/> or keeping the key's expiry.</summary>
    Set = 1,

    /// <summary>Adds <see cref="KeyUpdate.Delta"/> to the integer stored (a missing key counts as 0), keeping its expiry.</summary>
    Increment = 2,

    /// <summary>Gives the stored value the expiry <see cref="KeyUpdate.Ttl"/>; applied only when the key is stored.</summary>
    Expire = 3,

    /// <summary>Takes the stored value's expiry off; applied only when it had one.</summary>
    Persist = 4,

    /// <summary>Removes the key, answering the value it held.</summary>
    Delete = 5,

    /// <summary>Changes nothing: answers the stored value (with its expiry) and the master's clock.</summary>
    Inspect = 6,
}

/// <summary>When a <see cref="KeyUpdateKind.Set"/> stores its value.</summary>
public enum SetCondition
{
    /// <summary>Always.</summary>
    Always = 0,

    /// <summary>Only when the key is not stored (Redis's NX).</summary>
    IfAbsent = 1,

    /// <summary>Only when the key is stored (Redis's XX).</summary>
    IfPresent = 2,

    /// <summary>Only when the stored value's version (<see cref="ValueExpiry.VersionOf"/>) is <see cref="KeyUpdate.Version"/>.</summary>
    IfVersion = 3,
}

/// <summary>
/// A write that the range's master works out from the key's current value, in its own order of writes: a conditional
/// set, an increment, an expiry change. The result is stored and replicated as the plain set (or delete) it comes to,
/// so copies apply it like any write; it is answered once a write quorum holds it.
/// </summary>
[GenerateSerializer, Immutable, Alias("DiMint.KeyUpdate")]
public sealed record KeyUpdate
{
    /// <summary>What to do.</summary>
    [Id(0)]
    public required KeyUpdateKind Kind { get; init; }

    /// <summary>For <see cref="KeyUpdateKind.Set"/>: the encoded value (without an expiry).</summary>
    [Id(1)]
    public byte[]? Value { get; init; }

    /// <summary>For <see cref="KeyUpdateKind.Set"/> and <see cref="KeyUpdateKind.Expire"/>: how long the value lives from when the master applies it (null for a set: no expiry).</summary>
    [Id(2)]
    public TimeSpan? Ttl { get; init; }

    /// <summary>For <see cref="KeyUpdateKind.Set"/> without <see cref="Ttl"/>: keep the expiry the key has (Redis's KEEPTTL).</summary>
    [Id(3)]
    public bool KeepTtl { get; init; }

    /// <summary>For <see cref="KeyUpdateKind.Set"/>: when to store.</summary>
    [Id(4)]
    public SetCondition Condition { get; init; }

    /// <summary>For <see cref="SetCondition.IfVersion"/>: the version the stored value must have.</summary>
    [Id(5)]
    public ulong Version { get; init; }

    /// <summary>For <see cref="KeyUpdateKind.Increment"/>: what to add.</summary>
    [Id(6)]
    public long Delta { get; init; }
}

/// <summary>A range master's answer to a <see cref="KeyUpdate"/>.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.UpdateResult")]
public sealed record UpdateResult
{
    /// <summary>Ok, or Moved with <see cref="Ring"/> (nothing was done).</summary>
    [Id(0)]
    public required RangeStatus Status { get; init; }

    /// <summary>Whether the update changed the key (a condition that did not hold, or a key not stored, changes nothing).</summary>
    [Id(1)]
    public bool Applied { get; init; }

    /// <summary>The key's stored bytes before the update (with their expiry; null: not stored).</summary>
    [Id(2)]
    public byte[]? Previous { get; init; }

    /// <summary>The key's stored bytes after the update (with their expiry; null: not stored).</summary>
    [Id(3)]
    public byte[]? Current { get; init; }

    /// <summary>The master's clock when it applied the update (Unix milliseconds), against which expiry times count.</summary>
    [Id(4)]
    public long MasterTimeMs { get; init; }

    /// <summary>The ring to route with when <see cref="Status"/> is Moved.</summary>
    [Id(5)]
    public RingUpdate? Ring { get; init; }
}
