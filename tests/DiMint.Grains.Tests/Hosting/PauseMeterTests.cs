using DiMint.Grains.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DiMint.Grains.Tests.Hosting;

/// <summary>
/// What the meter counts as a stall of this process: a round that could not run for far longer than it meant to sleep,
/// all but its own tick; ordinary rounds count nothing. The meter's clock here moves only when the test moves it, so
/// what counts as a stall is exact.
/// </summary>
public sealed class PauseMeterTests : IDisposable
{
    private readonly ManualTime _time = new();
    private readonly PauseMeter _meter;

    public PauseMeterTests()
    {
        _meter = new PauseMeter(_time, NullLogger<PauseMeter>.Instance, window: TimeSpan.FromSeconds(1));
        _meter.Start();
    }

    [Fact]
    public async Task OrdinaryRounds_CountNoPause()
    {
        for (var i = 0; i < 20; i++)
        {
            await PassAsync(TimeSpan.FromMilliseconds(5));
        }

        Assert.Equal(0, _meter.Paused);
    }

    [Fact]
    public async Task AStalledRound_CountsAllButItsTick()
    {
        await PassAsync(TimeSpan.FromMilliseconds(5));
        await PassAsync(TimeSpan.FromMilliseconds(700));
        await PassAsync(TimeSpan.FromMilliseconds(5));
        await PassAsync(TimeSpan.FromMilliseconds(300));

        // 700 - 10 and 300 - 10 (each stalled round's own tick) ms stalled; the 5 ms rounds are ordinary.
        Assert.Equal(TimeSpan.FromMilliseconds(980), _time.GetElapsedTime(0, _meter.Paused));
    }

    [Fact]
    public async Task RecentLongest_IsTheLongestStall_UntilTheWindowAfterItsOwnHasPassed()
    {
        await PassAsync(TimeSpan.FromMilliseconds(5));
        Assert.Equal(TimeSpan.Zero, _meter.RecentLongest);

        // Window: 1 s, from the meter's start.
        await PassAsync(TimeSpan.FromMilliseconds(410));
        await PassAsync(TimeSpan.FromMilliseconds(210));
        Assert.Equal(TimeSpan.FromMilliseconds(400), _meter.RecentLongest);

        // Ordinary rounds of 20 ms: at 1,025 ms the next window has begun, and the stall is still recent.
        await PassOrdinaryRoundsAsync(TimeSpan.FromMilliseconds(400));
        Assert.Equal(TimeSpan.FromMilliseconds(400), _meter.RecentLongest);

        // A second on, that window has ended too, and the stalls are forgotten.
        await PassOrdinaryRoundsAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, _meter.RecentLongest);
    }

    public void Dispose() => _meter.Stop();

    private async Task PassOrdinaryRoundsAsync(TimeSpan span)
    {
        for (var passed = TimeSpan.Zero; passed < span; passed += TimeSpan.FromMilliseconds(20))
        {
            await PassAsync(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>Moves the meter's clock on, then waits until the round that saw it has ended (the round under way may have read the clock already).</summary>
    private async Task PassAsync(TimeSpan span)
    {
        _time.Advance(span);
        var rounds = _meter.Rounds;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_meter.Rounds < rounds + 2)
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _now = 1_000_000_000;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => Interlocked.Read(ref _now);

        public void Advance(TimeSpan span) => Interlocked.Add(ref _now, (long)(span.TotalSeconds * TimestampFrequency));
    }
}
