namespace DiMint.Cli.Bench;

/// <summary>
/// A store the benchmark drives: DiMint through its own client, or a Redis-protocol store (Redis Cluster, Garnet)
/// through StackExchange.Redis; each gets the same key and value stream from the same workers.
/// </summary>
internal interface IBenchTarget : IAsyncDisposable
{
    /// <summary>The name given to <c>--target</c>.</summary>
    string Name { get; }

    /// <summary>Where the target was reached (gateways, endpoints or a ZooKeeper connection string), for the results.</summary>
    IReadOnlyList<string> Endpoints { get; }

    /// <summary>Stores a batch of entries, the way the target loads data fastest.</summary>
    Task SetManyAsync(IReadOnlyList<KeyValuePair<string, byte[]>> entries, CancellationToken cancellationToken);

    Task SetAsync(string key, byte[] value, CancellationToken cancellationToken);

    /// <summary>Reads a key: <c>(false, null)</c> when it is not stored, <c>(true, null)</c> when it holds something other than bytes.</summary>
    Task<(bool Found, byte[]? Value)> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>What answered (product, version, nodes), for the results; null when the target cannot tell.</summary>
    Task<string?> DescribeAsync(CancellationToken cancellationToken);
}
