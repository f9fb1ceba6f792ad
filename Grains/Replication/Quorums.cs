namespace DiMint.Grains.Replication;

/// <summary>
/// The quorum sizes of one range's configuration of <c>n</c> copies (its master and replicas in the ring), from which
/// every safety rule follows: a write is acknowledged once <see cref="Write"/> copies hold it (the master counts); a
/// promotion needs <see cref="Promotion"/> complete copies fenced, and takes the most advanced of them; a master serves
/// reads only while <see cref="LeaseReplicas"/> replicas promise not to let a successor be promoted. Because
/// <c>Write + Promotion &gt; n</c>, every promotion hears from a copy holding every acknowledged write; because
/// <c>LeaseReplicas + Promotion &gt; n - 1</c>, every promotion waits for a replica whose promise the old master's
/// reads relied on.
/// </summary>
/// <param name="Copies">Copies in the configuration: the master and its replicas.</param>
/// <param name="Write">Copies that hold a write before it is acknowledged, the master included.</param>
/// <param name="Promotion">Complete copies a promotion must fence.</param>
internal readonly record struct Quorums(int Copies, int Write, int Promotion)
{
    /// <summary>Replicas that must hold a write before it is acknowledged.</summary>
    public int WriteReplicas => Write - 1;

    /// <summary>Replica promises a master needs to serve reads.</summary>
    public int LeaseReplicas => Copies - Promotion;

    /// <summary>
    /// The quorums of a range with <paramref name="replicas"/> replicas. <paramref name="writeAcks"/> is the replicas a write
    /// waits for: null for a majority of the copies (the default), 0 for asynchronous replication (acknowledged at once;
    /// promotions then need a majority and may lose what the master had not sent), otherwise that many (capped by the
    /// replicas there are).
    /// </summary>
    public static Quorums Of(int replicas, int? writeAcks)
    {
        var copies = replicas + 1;
        var majority = (copies / 2) + 1;
        if (writeAcks == 0)
        {
            return new Quorums(copies, 1, majority);
        }

        var write = Math.Min(copies, writeAcks is { } acks ? Math.Max(acks + 1, 1) : majority);
        return new Quorums(copies, write, copies - write + 1);
    }
}
