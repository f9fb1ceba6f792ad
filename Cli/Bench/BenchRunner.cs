using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace DiMint.Cli.Bench;

/// <summary>Drives a target with a workload: loads the keys, warms up, measures, and collects the results.</summary>
internal sealed class BenchRunner(BenchSettings settings, IBenchTarget target, TextWriter output, TimeProvider time)
{
    /// <summary>About this many bytes of values go in one load batch (and never more than 1,000 keys).</summary>
    private const int LoadBatchBytes = 1024 * 1024;

    private readonly BenchValues _values = new(settings.ValueSize, settings.Seed);

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var server = await target.DescribeAsync(cancellationToken);
        if (server is not null)
        {
            await output.WriteLineAsync($"Server: {server}.");
        }

        var load = settings.Load ? await LoadAsync(cancellationToken) : null;
        var keys = KeyChooser.Create(settings.Distribution, settings.Keys);
        var schedule = new BenchSchedule(Stopwatch.GetTimestamp(), settings.Warmup, settings.Duration, settings.Operations);
        var recent = HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(BenchWorker.HighestMicros)
            .WithPrecisionOf(3).WithThreadSafeWrites().WithThreadSafeReads().Create();
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(i => new BenchWorker(target, _values, keys, schedule, settings, i, recent))
            .ToArray();

        await output.WriteLineAsync(Invariant($"Running: {Describe()}."));
        long lastCompleted = 0;
        var timeline = new List<BenchSample>();
        await using (BenchProgress.Start(output, interval =>
        {
            var completed = workers.Sum(w => w.Completed);
            var rate = (completed - lastCompleted) / interval.TotalSeconds;
            lastCompleted = completed;
            var elapsed = BenchSchedule.Seconds(Stopwatch.GetTimestamp() - schedule.MeasureFrom);
            var phase = elapsed < 0 ? Invariant($"warm-up {-elapsed,5:0.0} s left") : Invariant($"{elapsed,6:0.0} s");
            // The latencies answered since the last line (warm-up included): the p99 of the moment, not of the run.
            double? p99 = recent.GetIntervalHistogram() is { TotalCount: > 0 } lately ? lately.GetValueAtPercentile(99) / 1000.0 : null;
            var errors = workers.Sum(w => w.Errors);
            timeline.Add(new BenchSample(elapsed, rate, p99, errors));
            var shown = p99 is { } ms ? Invariant($"{ms,8:0.00} ms") : "       —";
            return Invariant($"  {phase}  {rate,12:N0} ops/s  p99 {shown}  {completed,14:N0} ops  {errors:N0} errors");
        }))
        {
            // Workers start on the thread pool so one slow start does not hold back the others.
            await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(cancellationToken), cancellationToken)));
        }

        var lastMeasured = workers.Max(w => w.LastMeasured);
        var seconds = lastMeasured > schedule.MeasureFrom ? BenchSchedule.Seconds(lastMeasured - schedule.MeasureFrom) : 0;
        var reads = BenchWorker.NewHistogram();
        var writes = BenchWorker.NewHistogram();
        var all = BenchWorker.NewHistogram();
        foreach (var worker in workers)
        {
            reads.Add(worker.Reads);
            writes.Add(worker.Writes);
            all.Add(worker.Reads);
            all.Add(worker.Writes);
        }

        var readErrors = workers.Sum(w => w.ReadErrors);
        var writeErrors = workers.Sum(w => w.WriteErrors);
        return new BenchResult
        {
            Target = target.Name,
            Endpoints = target.Endpoints,
            Server = server,
            Timestamp = startedAt,
            Workload = new BenchWorkload(
                settings.Keys,
                settings.ValueSize,
                settings.ReadRatio,
                settings.Concurrency,
                settings.Duration?.TotalSeconds,
                settings.Operations,
                settings.Distribution.ToString().ToLowerInvariant(),
                settings.Distribution == KeyDistribution.Zipfian ? BenchSettings.ZipfianTheta : null,
                settings.Warmup.TotalSeconds,
                settings.Load,
                settings.Seed),
            Load = load,
            Seconds = seconds,
            OpsPerSecond = seconds > 0 ? all.TotalCount / seconds : 0,
            Operations = all.TotalCount,
            Errors = readErrors + writeErrors,
            Misses = workers.Sum(w => w.Misses),
            FirstError = workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null),
            Latency = new BenchLatencies(
                "ms",
                LatencySummary.From(all, readErrors + writeErrors, seconds),
                LatencySummary.From(reads, readErrors, seconds),
                LatencySummary.From(writes, writeErrors, seconds)),
            Timeline = timeline,
            Machine = MachineInfo.Current(),
        };
    }

    private async Task<BenchLoad> LoadAsync(CancellationToken cancellationToken)
    {
        var batchSize = (int)Math.Clamp(LoadBatchBytes / (settings.ValueSize + 16L), 1, 1000);
        var batches = (settings.Keys + batchSize - 1) / batchSize;
        long loaded = 0;
        await output.WriteLineAsync(Invariant($"Loading {settings.Keys:N0} keys of {settings.ValueSize:N0} bytes in batches of {batchSize:N0}."));
        var start = Stopwatch.GetTimestamp();
        await using (BenchProgress.Start(output, _ => Invariant($"  {Volatile.Read(ref loaded),14:N0} / {settings.Keys:N0} keys loaded")))
        {
            await Parallel.ForEachAsync(
                LongRange(batches),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Min(settings.Concurrency, 8), CancellationToken = cancellationToken },
                async (batch, ct) =>
                {
                    var first = batch * batchSize;
                    var count = (int)Math.Min(batchSize, settings.Keys - first);
                    var entries = new KeyValuePair<string, byte[]>[count];
                    for (var i = 0; i < count; i++)
                    {
                        entries[i] = new(BenchValues.Key(first + i), _values.ValueOf(first + i));
                    }

                    await target.SetManyAsync(entries, ct);
                    Interlocked.Add(ref loaded, count);
                });
        }

        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await output.WriteLineAsync(Invariant($"Loaded {settings.Keys:N0} keys in {seconds:0.0} s ({settings.Keys / seconds:N0} keys/s)."));
        return new BenchLoad(settings.Keys, seconds, settings.Keys / seconds);
    }

    private string Describe()
    {
        var bound = settings.Duration is { } d ? Invariant($"{d.TotalSeconds:0.###} s") : Invariant($"{settings.Operations:N0} operations");
        return Invariant($"{target.Name} at {string.Join(' ', target.Endpoints)}, {settings.Keys:N0} keys ({settings.Distribution.ToString().ToLowerInvariant()}), ")
            + Invariant($"{settings.ValueSize:N0}-byte values, {settings.ReadRatio * 100:0.#}% reads, {settings.Concurrency} in flight, ")
            + Invariant($"{settings.Warmup.TotalSeconds:0.###} s warm-up then {bound}");
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
