namespace DiMint.Grains.Ranges;

/// <summary>What became of a master's write (<see cref="RangeData.TryStore"/>).</summary>
internal enum StoreOutcome
{
    /// <summary>Applied, with its sequence number.</summary>
    Stored,

    /// <summary>A delete of a key that is not stored: nothing changed, no sequence number used.</summary>
    Absent,

    /// <summary>The copy is no longer this epoch's master (fenced, taken over, retired): nothing changed.</summary>
    Refused,
}
