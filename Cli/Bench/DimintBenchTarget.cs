using DiMint.Client;

namespace DiMint.Cli.Bench;

/// <summary>DiMint through <see cref="DimintClient"/>, with the routing, batching and retries an application gets.</summary>
internal sealed class DimintBenchTarget(DimintClient client) : IBenchTarget
{
    public string Name => "dimint";

    public IReadOnlyList<string> Endpoints { get; } = client.Options.ZooKeeper is { Length: > 0 } zooKeeper
        ? [$"zookeeper:{zooKeeper}"]
        : [.. client.Options.Gateways];

    public Task SetManyAsync(IReadOnlyList<KeyValuePair<string, byte[]>> entries, CancellationToken cancellationToken) =>
        client.SetManyAsync(entries, cancellationToken);

    public Task SetAsync(string key, byte[] value, CancellationToken cancellationToken) =>
        client.SetAsync(key, value, cancellationToken);

    public async Task<(bool Found, byte[]? Value)> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await client.TryGetAsync<byte[]>(key, cancellationToken);
        }
        catch (ValueTypeMismatchException)
        {
            // Another program's value under a benchmark key: a wrong value, not a failed request.
            return (true, null);
        }
    }

    public async Task<string?> DescribeAsync(CancellationToken cancellationToken)
    {
        var silos = await client.GetNodeStatusAsync(cancellationToken);
        return $"dimint: {silos.Count(s => s.IsUp)} silos up";
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
