using System.Collections.Concurrent;
using System.Diagnostics;
using DiMint.Client;

namespace DiMint.Testing;

/// <summary>
/// A steady client load that records what was acknowledged: writers store unique values under unique keys, readers
/// read acknowledged keys back and check the values. Every operation that fails after the client's own retries, and
/// every wrong or missing value, is a failure.
/// </summary>
public sealed class AcknowledgedLoad : IAsyncDisposable
{
    private readonly DimintClient _client;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stop = new();
    private readonly int[] _written;
    private readonly double[] _slowest;
    private readonly Task[] _workers;
    private long _reads;

    private AcknowledgedLoad(DimintClient client, string prefix, int writers, int readers, TimeSpan limit)
    {
        _client = client;
        _prefix = prefix;
        _written = new int[writers];
        _slowest = new double[writers + readers];
        _workers =
        [
            .. Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w, limit))),
            .. Enumerable.Range(0, readers).Select(r => Task.Run(() => ReadAsync(writers + r, limit))),
        ];
    }

    /// <summary>Keys and the values their writes were acknowledged with.</summary>
    public ConcurrentDictionary<string, string> Acknowledged { get; } = new();

    /// <summary>Operations that failed after the client's retries, and reads that did not return the acknowledged value.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>
    /// Reads that answered, with another value than the acknowledged one or none (also in <see cref="Failures"/>): lost
    /// or stale data, as opposed to an operation that failed after its retries.
    /// </summary>
    public ConcurrentQueue<string> WrongReads { get; } = new();

    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>The longest any operation took since the last <see cref="ResetSlowest"/>, retries included.</summary>
    public TimeSpan Slowest => TimeSpan.FromSeconds(_slowest.Max());

    /// <summary>
    /// Starts <paramref name="writers"/> writers and <paramref name="readers"/> readers; they stop on their own after
    /// <paramref name="limit"/> (default 5 minutes) if nobody stops them.
    /// </summary>
    public static AcknowledgedLoad Start(DimintClient client, string prefix, int writers, int readers = 0, TimeSpan? limit = null) =>
        new(client, prefix, writers, readers, limit ?? TimeSpan.FromMinutes(5));

    public void ResetSlowest() => Array.Clear(_slowest);

    /// <summary>Waits until more than <paramref name="count"/> writes have been acknowledged.</summary>
    public Task WaitForWritesAsync(int count, TimeSpan timeout) =>
        Wait.UntilAsync(() => Acknowledged.Count > count, timeout, $"more than {count} acknowledged writes (failures: {Failures.Count})");

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>The acknowledged keys that do not read back with their value.</summary>
    public async Task<string[]> FindLostAsync()
    {
        var back = await _client.GetManyAsync<string>(Acknowledged.Keys);
        return [.. Acknowledged.Where(e => !back.TryGetValue(e.Key, out var value) || value != e.Value).Select(e => e.Key)];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task WriteAsync(int writer, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        for (var n = 0; !_stop.IsCancellationRequested && clock.Elapsed < limit; n++)
        {
            var key = $"{_prefix}:{writer}:{n}";
            var value = $"{writer}/{n}/{Guid.NewGuid():N}";
            var started = Stopwatch.GetTimestamp();
            try
            {
                await _client.SetAsync(key, value);
                Acknowledged[key] = value;
                Volatile.Write(ref _written[writer], n + 1);
            }
            catch (DiMintException ex)
            {
                Failures.Enqueue($"set {key}: {ex.GetType().Name}: {ex.Message}");
            }

            _slowest[writer] = Math.Max(_slowest[writer], Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task ReadAsync(int slot, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested && clock.Elapsed < limit)
        {
            var writer = Random.Shared.Next(_written.Length);
            var written = Volatile.Read(ref _written[writer]);
            if (written == 0)
            {
                await Task.Delay(10);
                continue;
            }

            var key = $"{_prefix}:{writer}:{Random.Shared.Next(written)}";
            if (!Acknowledged.TryGetValue(key, out var expected))
            {
                // That write failed (a failure of its own): nothing to read back.
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                var (found, value) = await _client.TryGetAsync<string>(key);
                if (!found || value != expected)
                {
                    var wrong = $"get {key}: {(found ? $"'{value}'" : "not found")}, acknowledged '{expected}'";
                    WrongReads.Enqueue(wrong);
                    Failures.Enqueue(wrong);
                }

                Interlocked.Increment(ref _reads);
            }
            catch (DiMintException ex)
            {
                Failures.Enqueue($"get {key}: {ex.GetType().Name}: {ex.Message}");
            }

            _slowest[slot] = Math.Max(_slowest[slot], Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
