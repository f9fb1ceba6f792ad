namespace DiMint.Grains.Ranges;

/// <summary>
/// What a copy of a range is, as one immutable value: the range as the copy knows it, the ring version it is current at,
/// whether it is the master and of which epoch, whether it was retired, and whether a ring operation holds its requests.
/// <see cref="RangeData"/> swaps it whole, so a reader on another thread (the data port) sees a change entirely or not
/// at all.
/// </summary>
/// <param name="Range">The range as this copy last learned it (bounds, master, replicas, epoch).</param>
/// <param name="RingVersion">The newest ring version at which <paramref name="Range"/> was known to be current.</param>
/// <param name="IsMaster">Whether this copy is the master (takes writes) or a replica.</param>
/// <param name="Epoch">The epoch of the master role this copy holds (masters), or follows (replicas).</param>
/// <param name="RetiredBy">Set when the range no longer exists in this form here: the ring that replaced it.</param>
/// <param name="Held">Whether a ring operation's fence holds this master's reads and writes until it commits or aborts.</param>
internal sealed record RangeHeader(RangeInfo Range, long RingVersion, bool IsMaster, long Epoch, Ring? RetiredBy = null, bool Held = false)
{
    /// <summary>Whether this is the current master at <paramref name="epoch"/>, serving requests of clients at <paramref name="ringVersion"/>.</summary>
    public bool Serves(long epoch, long ringVersion) =>
        IsMaster && Epoch == epoch && RetiredBy is null && !Held && ringVersion <= RingVersion;
}
