using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Hosting;

/// <summary>
/// Measures how long this process was kept from running: stopped by the garbage collector, starved of CPU, or with its
/// thread pool (which runs every grain turn) backed up. It logs each stall of 200 ms or more, and keeps the longest
/// stall of the last half minute to a minute (<see cref="RecentLongest"/>): each silo reports it in its answer to the
/// overlord's probe, and the overlord gives a silo that stalls (or stalls itself) longer to answer before failing it
/// over (docs/architecture.md, "Failover").
/// One background thread wakes every <see cref="Tick"/> and posts an item to the thread pool: a round that took more
/// than <see cref="Tick"/> + <see cref="Slack"/> counts all its excess as paused.
/// </summary>
internal sealed partial class PauseMeter : ILifecycleParticipant<ISiloLifecycle>, IThreadPoolWorkItem
{
    /// <summary>How often the meter wakes.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    /// <summary>How late a round may be and still count as running (the scheduler's ordinary jitter on a loaded machine).</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(20);

    /// <summary>A pause this long or longer is logged.</summary>
    private static readonly TimeSpan Logged = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a stall counts as recent by default: it is forgotten one to two windows later.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _window;

    private readonly TimeProvider _time;
    private readonly ILogger<PauseMeter> _logger;
    private readonly CancellationTokenSource _stop = new();
    // Owners: the meter's thread writes _paused, _rounds, _longest and _longestBefore (Interlocked) and resets _ran; the
    // thread-pool item it posts sets _ran (Volatile). No lock: each is one word, and no reader needs two of them to agree
    // (RecentLongest reads two, and either order gives a stall of the last two windows). _thread is set once.
    private long _paused;
    private long _rounds;
    private long _longest;
    private long _longestBefore;
    private int _ran;
    private Thread? _thread;

    public PauseMeter(TimeProvider time, ILogger<PauseMeter> logger)
        : this(time, logger, DefaultWindow)
    {
    }

    /// <summary>A meter that forgets a stall one to two <paramref name="window"/>s later.</summary>
    internal PauseMeter(TimeProvider time, ILogger<PauseMeter> logger, TimeSpan window)
    {
        _time = time;
        _logger = logger;
        _window = window;
    }

    /// <summary>All the pauses measured so far, in ticks of the <see cref="TimeProvider"/>'s timestamps.</summary>
    public long Paused => Interlocked.Read(ref _paused);

    /// <summary>The longest stall of this window and the one before it (so of the last window at least).</summary>
    public TimeSpan RecentLongest => _time.GetElapsedTime(0, Math.Max(Interlocked.Read(ref _longest), Interlocked.Read(ref _longestBefore)));

    /// <summary>The rounds the meter has finished.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PauseMeter), ServiceLifecycleStage.RuntimeInitialize, Start, Stop);

    /// <summary>Starts measuring (at most once).</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _thread, new Thread(Run) { IsBackground = true, Name = "DiMint pause meter" }, null) is null)
        {
            _thread!.Start();
        }
    }

    private Task Start(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    private Task Stop(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    /// <summary>Stops measuring.</summary>
    public void Stop() => _stop.Cancel();

    void IThreadPoolWorkItem.Execute() => Volatile.Write(ref _ran, 1);

    private void Run()
    {
        var slack = (long)(Slack.TotalSeconds * _time.TimestampFrequency);
        var tick = (long)(Tick.TotalSeconds * _time.TimestampFrequency);
        var window = (long)(_window.TotalSeconds * _time.TimestampFrequency);
        // Each round runs from the end of the one before, so no moment goes unmeasured.
        var started = _time.GetTimestamp();
        var windowStarted = started;
        while (!_stop.IsCancellationRequested)
        {
            Volatile.Write(ref _ran, 0);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            Thread.Sleep(Tick);
            while (Volatile.Read(ref _ran) == 0 && !_stop.IsCancellationRequested)
            {
                Thread.Sleep(1);
            }

            var ended = _time.GetTimestamp();
            var excess = ended - started - tick;
            started = ended;
            if (ended - windowStarted >= window)
            {
                Interlocked.Exchange(ref _longestBefore, Interlocked.Read(ref _longest));
                Interlocked.Exchange(ref _longest, 0);
                windowStarted = ended;
            }

            if (excess > slack)
            {
                Interlocked.Add(ref _paused, excess);
                if (excess > Interlocked.Read(ref _longest))
                {
                    Interlocked.Exchange(ref _longest, excess);
                }

                var pause = _time.GetElapsedTime(0, excess);
                if (pause >= Logged)
                {
                    LogPaused(_logger, pause.TotalMilliseconds);
                }
            }

            Interlocked.Increment(ref _rounds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This process was kept from running for {Milliseconds:F0} ms (garbage collection, CPU or thread-pool starvation)")]
    private static partial void LogPaused(ILogger logger, double milliseconds);
}
