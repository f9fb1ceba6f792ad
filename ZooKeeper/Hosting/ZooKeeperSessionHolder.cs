using Microsoft.Extensions.Logging;

namespace DiMint.ZooKeeper.Hosting;

/// <summary>
/// Keeps one long-lived <see cref="ZooKeeperClient"/> for a provider and opens a new session when the previous one
/// expired or was closed.
/// </summary>
internal sealed class ZooKeeperSessionHolder : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private ZooKeeperClient? _client;
    private bool _disposed;

    public ZooKeeperSessionHolder(string connectionString, TimeSpan sessionTimeout, string? digest, ILogger logger)
    {
        _options = new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = sessionTimeout, Digest = digest };
        _logger = logger;
    }

    /// <summary>The client of the session in use, or null before the first call (tests expire its session from outside).</summary>
    internal ZooKeeperClient? Current => Volatile.Read(ref _client);

    public async Task<ZooKeeperClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        var client = Volatile.Read(ref _client);
        if (client is not null && IsUsable(client))
        {
            return client;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is not null && IsUsable(_client))
            {
                return _client;
            }

            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
            }

            _client = await ZooKeeperClient.ConnectAsync(_options, _logger, cancellationToken).ConfigureAwait(false);
            return _client;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
                _client = null;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private static bool IsUsable(ZooKeeperClient client) => client.State is not (ZooKeeperState.Expired or ZooKeeperState.Closed);
}
