using System.Diagnostics;

namespace DiMint.Faults.History;

/// <summary>Limits and rendering settings for <see cref="LinearizabilityChecker.Check"/>.</summary>
public sealed class CheckOptions
{
    /// <summary>
    /// How long the search may spend on one key before giving up; such a key is reported in
    /// <see cref="CheckResult.KeysTimedOut"/> and counts as a failure. Default 10 s.
    /// </summary>
    public TimeSpan TimeoutPerKey { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the search may spend on all keys together; keys not finished by then are reported in
    /// <see cref="CheckResult.KeysTimedOut"/>. Bounds a pathological history (say, timestamps that make every
    /// operation concurrent) to minutes instead of keys × <see cref="TimeoutPerKey"/>. Default 5 min.
    /// </summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long shrinking may spend on one violating key; when it runs out the violation keeps the smallest failing
    /// history found so far (<see cref="KeyViolation.IsMinimal"/> is then false). Default 5 s.
    /// </summary>
    public TimeSpan ShrinkTimeoutPerKey { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many violating keys (the first, in ordinal key order) are shrunk; the others report their whole key history,
    /// so a badly broken store does not cost minutes of shrinking. Default 20.
    /// </summary>
    public int MaxKeysToShrink { get; init; } = 20;

    /// <summary>How many keys are checked at once. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Timestamp units per second, used only to render times in reports. Default <see cref="Stopwatch.Frequency"/>.
    /// </summary>
    public long TimestampsPerSecond { get; init; } = Stopwatch.Frequency;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TimeoutPerKey, TimeSpan.Zero, nameof(TimeoutPerKey));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TotalTimeout, TimeSpan.Zero, nameof(TotalTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShrinkTimeoutPerKey, TimeSpan.Zero, nameof(ShrinkTimeoutPerKey));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxKeysToShrink, nameof(MaxKeysToShrink));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDegreeOfParallelism, nameof(MaxDegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TimestampsPerSecond, nameof(TimestampsPerSecond));
    }
}
