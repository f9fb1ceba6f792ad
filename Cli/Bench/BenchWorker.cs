using System.Diagnostics;
using HdrHistogram;

namespace DiMint.Cli.Bench;

/// <summary>
/// One in-flight operation slot: runs operations one after another and records their latencies in its own
/// histograms (merged at the end), so workers share no lock.
/// </summary>
internal sealed class BenchWorker
{
    /// <summary>Latencies are recorded in microseconds up to a minute (longer ones are recorded as a minute), 3 significant digits.</summary>
    public const long HighestMicros = 60_000_000;

    private readonly IBenchTarget _target;
    private readonly BenchValues _values;
    private readonly KeyChooser _keys;
    private readonly BenchSchedule _schedule;
    private readonly double _readRatio;
    private readonly bool _loaded;
    private readonly Random _random;
    private readonly Recorder _recent;
    private long _completed;
    private long _errors;

    /// <param name="recent">Where every answered operation's latency also goes, warm-up included, for the live progress line (shared by the workers).</param>
    public BenchWorker(IBenchTarget target, BenchValues values, KeyChooser keys, BenchSchedule schedule, BenchSettings settings, int index, Recorder recent)
    {
        _recent = recent;
        _target = target;
        _values = values;
        _keys = keys;
        _schedule = schedule;
        _readRatio = settings.ReadRatio;
        _loaded = settings.Load;
        _random = new Random(HashCode.Combine(settings.Seed, index));
    }

    public LongHistogram Reads { get; } = NewHistogram();

    public LongHistogram Writes { get; } = NewHistogram();

    /// <summary>Operations finished, warm-up included (for the progress line).</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Failed operations, warm-up included (for the progress line).</summary>
    public long Errors => Volatile.Read(ref _errors);

    public long ReadErrors { get; private set; }

    public long WriteErrors { get; private set; }

    /// <summary>Measured reads of keys that were not stored (only counted as errors when the keys were loaded).</summary>
    public long Misses { get; private set; }

    /// <summary>When the last measured operation finished.</summary>
    public long LastMeasured { get; private set; }

    public string? FirstError { get; private set; }

    public static LongHistogram NewHistogram() => new(HighestMicros, 3);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[_values.ValueSize];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            if (!_schedule.TryStart(start, out var measured))
            {
                return;
            }

            var index = _keys.Next(_random);
            var key = BenchValues.Key(index);
            var read = _random.NextDouble() < _readRatio;
            string? error = null;
            var missed = false;
            try
            {
                if (read)
                {
                    var (found, value) = await _target.GetAsync(key, cancellationToken);
                    if (!found)
                    {
                        missed = true;
                        error = _loaded ? $"Key '{key}' was loaded but is not stored." : null;
                    }
                    else if (value is null || !_values.IsValueOf(index, value, scratch))
                    {
                        error = $"Key '{key}' holds a value other than the one written.";
                    }
                }
                else
                {
                    await _target.SetAsync(key, _values.ValueOf(index), cancellationToken);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"{ex.GetType().Name}: {ex.Message}";
            }

            var end = Stopwatch.GetTimestamp();
            Volatile.Write(ref _completed, _completed + 1);
            var micros = Math.Min(HighestMicros, (long)Stopwatch.GetElapsedTime(start, end).TotalMicroseconds);
            if (error is not null)
            {
                Volatile.Write(ref _errors, _errors + 1);
            }
            else
            {
                _recent.RecordValue(micros);
            }

            if (!measured)
            {
                continue;
            }

            LastMeasured = end;
            if (missed)
            {
                Misses++;
            }

            if (error is not null)
            {
                FirstError ??= error;
                if (read)
                {
                    ReadErrors++;
                }
                else
                {
                    WriteErrors++;
                }

                continue;
            }

            (read ? Reads : Writes).RecordValue(micros);
        }
    }
}
