using System.Diagnostics;

namespace DiMint.Cli.Bench;

/// <summary>
/// A live status line while a phase runs: rewritten in place every second on a terminal, a plain line every five
/// seconds when the output is redirected (logs and CI keep a readable record).
/// </summary>
internal sealed class BenchProgress : IAsyncDisposable
{
    private readonly TextWriter _output;
    private readonly bool _inPlace;
    private readonly Func<TimeSpan, string> _status;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _lastLength;

    private BenchProgress(TextWriter output, bool inPlace, Func<TimeSpan, string> status)
    {
        _output = output;
        _inPlace = inPlace;
        _status = status;
        _loop = LoopAsync();
    }

    /// <summary>Starts reporting; <paramref name="status"/> gets the time since the last report and returns the line.</summary>
    public static BenchProgress Start(TextWriter output, Func<TimeSpan, string> status) =>
        new(output, !Console.IsOutputRedirected, status);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        if (_inPlace && _lastLength > 0)
        {
            // Clear the status line so the report starts on a clean line.
            await _output.WriteAsync('\r' + new string(' ', _lastLength) + '\r');
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_inPlace ? 1 : 5));
        var last = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = Stopwatch.GetTimestamp();
                var line = _status(Stopwatch.GetElapsedTime(last, now));
                last = now;
                if (_inPlace)
                {
                    await _output.WriteAsync('\r' + line.PadRight(_lastLength));
                    _lastLength = line.Length;
                }
                else
                {
                    await _output.WriteLineAsync(line);
                }

                await _output.FlushAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }
}
