namespace DiMint.ZooKeeper;

/// <summary>
/// The outcome of an atomic <see cref="ZooKeeperClient.MultiAsync"/> transaction: either every operation applied or
/// none did.
/// </summary>
public sealed class ZooKeeperMultiResult
{
    /// <summary>Creates the result.</summary>
    public ZooKeeperMultiResult(IReadOnlyList<ZooKeeperOpResult> results)
    {
        Results = results;
        var failed = results.FirstOrDefault(r => r.Code is not ZooKeeperErrorCode.Ok and not ZooKeeperErrorCode.RuntimeInconsistency);
        FailedIndex = failed is null ? -1 : IndexOf(results, failed);
        Error = failed?.Code ?? ZooKeeperErrorCode.Ok;
    }

    /// <summary>One result per operation, in order.</summary>
    public IReadOnlyList<ZooKeeperOpResult> Results { get; }

    /// <summary>Whether every operation applied.</summary>
    public bool Succeeded => FailedIndex < 0;

    /// <summary>The error of the operation that failed the transaction, or <see cref="ZooKeeperErrorCode.Ok"/>.</summary>
    public ZooKeeperErrorCode Error { get; }

    /// <summary>The index of the operation that failed the transaction, or -1.</summary>
    public int FailedIndex { get; }

    /// <summary>Throws the <see cref="ZooKeeperException"/> of the failed operation, if any.</summary>
    public ZooKeeperMultiResult ThrowIfFailed()
    {
        if (!Succeeded)
        {
            throw ZooKeeperException.Create(Error, Results[FailedIndex].Path);
        }

        return this;
    }

    private static int IndexOf(IReadOnlyList<ZooKeeperOpResult> results, ZooKeeperOpResult item)
    {
        for (var i = 0; i < results.Count; i++)
        {
            if (ReferenceEquals(results[i], item))
            {
                return i;
            }
        }

        return -1;
    }
}
