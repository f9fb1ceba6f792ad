using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using DiMint.Client;
using DiMint.Faults.History;
using DiMint.Testing;

namespace DiMint.Faults.Workload;

/// <summary>
/// The load of a fault schedule, run on a client host (<c>DiMint.Faults client ...</c>): workers that each keep one
/// operation in flight and record every operation's invocation, completion and outcome in a history file. Four kinds of
/// operations: writes of unique keys (each acknowledged one must exist at the end), reads and writes of a few
/// registers that every client shares, and increments and reads of one counter per range that every client shares (the
/// last two for the linearizability check: a counter's increments must each add one, once, and answer their own result). Every written value is unique. Each worker keeps
/// to the keys of one range (of the ring at start), so a range that cannot serve holds up only its own workers and the
/// others' operations show which ranges stayed available. On <see cref="StopCommand"/> it stops, reads every register
/// and every acknowledged key back (the final reads, also recorded), and exits.
/// </summary>
internal sealed class WorkloadClient
{
    public const string ReadyMarker = "workload ready";
    public const string StopCommand = "stop";

    private readonly DimintClient _client;
    private readonly Channel<Operation> _history = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _prefix;
    private readonly int _clientNumber;
    private readonly string[][] _registersByRange;
    private readonly string[] _counterByRange;
    private readonly List<string> _acknowledgedKeys = [];
    private readonly Lock _acknowledgedLock = new();
    private long _operations;
    private long _failures;

    private WorkloadClient(DimintClient client, string prefix, int clientNumber, Ring ring, int registersPerRange)
    {
        _client = client;
        _prefix = prefix;
        _clientNumber = clientNumber;
        Ring = ring;

        // Every client finds the same registers: the first names, in order, that fall in each range.
        _registersByRange = new string[ring.Ranges.Length][];
        var found = ring.Ranges.Select(_ => new List<string>()).ToArray();
        for (var i = 0; found.Any(f => f.Count < registersPerRange); i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}r{i}");
            var list = found[IndexOf(name)];
            if (list.Count < registersPerRange)
            {
                list.Add(name);
            }
        }

        for (var r = 0; r < found.Length; r++)
        {
            _registersByRange[r] = [.. found[r]];
        }

        _counterByRange = new string[ring.Ranges.Length];
        for (var i = 0; _counterByRange.Any(c => c is null); i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}c{i}");
            _counterByRange[IndexOf(name)] ??= name;
        }
    }

    /// <summary>The ring at start, which assigns keys to workers.</summary>
    private Ring Ring { get; }

    private int IndexOf(string key) => Ring.IndexOf(KeyHash.Of(key));

    /// <summary>Runs the client mode: <c>client --zookeeper Z --secret-file F --history FILE --prefix P --client N --workers W --registers R</c>.</summary>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var zooKeeper = options["--zookeeper"];
        var historyPath = options["--history"];
        var prefix = options["--prefix"];
        var clientNumber = int.Parse(options["--client"], CultureInfo.InvariantCulture);
        var workersPerRange = int.Parse(options.GetValueOrDefault("--workers", "1"), CultureInfo.InvariantCulture);
        var registers = int.Parse(options.GetValueOrDefault("--registers", "2"), CultureInfo.InvariantCulture);

        await using var client = await DimintClient.ConnectAsync(new DimintClientOptions
        {
            ZooKeeper = zooKeeper,
            ClusterSecretFile = options["--secret-file"],
            ConnectTimeout = TimeSpan.FromSeconds(60),

            // Short, so that operations end (ok, or unknown) while the schedule runs rather than all at its end.
            RequestTimeout = TimeSpan.FromSeconds(5),
            AttemptTimeout = TimeSpan.FromSeconds(2),
        });
        var workload = new WorkloadClient(client, prefix, clientNumber, await client.GetRingAsync(refresh: true), registers);
        await using var file = new StreamWriter(historyPath, append: false);
        var writer = workload.WriteHistoryAsync(file);
        using var stop = new CancellationTokenSource();
        var ranges = workload.Ring.Ranges.Length;
        var load = Enumerable.Range(0, ranges * workersPerRange).Select(w => Task.Run(() => workload.WorkAsync(w, w % ranges, stop.Token))).ToArray();
        Console.WriteLine($"{ReadyMarker}: client {clientNumber}, {load.Length} workers over {ranges} ranges, {registers} registers per range");

        // The orchestrator says when to stop. If it dies, its end of this input closes: stop, without reading back.
        if (await Console.In.ReadLineAsync() is null)
        {
            return 3;
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);
        var (finalReads, unread) = await workload.ReadBackAsync(TimeSpan.FromSeconds(90));
        workload._history.Writer.Complete();
        await writer;
        Console.WriteLine($"workload done: {workload._operations} operations, {workload._acknowledgedKeys.Count} acknowledged unique keys, {finalReads} final reads, {unread} not read back");
        return unread == 0 ? 0 : 4;
    }

    private async Task WorkAsync(int worker, int range, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(_clientNumber, worker, Environment.ProcessId));
        var process = (_clientNumber * 1000) + worker;
        var registers = _registersByRange[range];
        var salt = 0;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var value = string.Create(CultureInfo.InvariantCulture, $"{_clientNumber}.{worker}.{n}");
            var choice = random.NextDouble();
            if (choice < 0.3)
            {
                // A unique key of this worker's range.
                string key;
                do
                {
                    key = string.Create(CultureInfo.InvariantCulture, $"{_prefix}u{value}.{salt++}");
                }
                while (IndexOf(key) != range);

                if (await WriteAsync(process, key, value))
                {
                    lock (_acknowledgedLock)
                    {
                        _acknowledgedKeys.Add(key);
                    }
                }
            }
            else if (choice < 0.5)
            {
                await WriteAsync(process, registers[random.Next(registers.Length)], value);
            }
            else if (choice < 0.6)
            {
                await IncrementAsync(process, _counterByRange[range]);
            }
            else if (choice < 0.9)
            {
                await ReadAsync(process, registers[random.Next(registers.Length)]);
            }
            else
            {
                await ReadCounterAsync(process, _counterByRange[range]);
            }
        }
    }

    private async Task<bool> WriteAsync(int process, string key, string value)
    {
        var invoked = Stopwatch.GetTimestamp();
        var outcome = OperationOutcome.Ok;
        try
        {
            await _client.SetAsync(key, value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever the error, the write may have taken effect (it was sent, or may have been).
            outcome = OperationOutcome.Unknown;
            Report(key, ex);
        }

        Record(new Operation(process, key, OperationKind.Write, value, invoked, Stopwatch.GetTimestamp(), outcome));
        return outcome == OperationOutcome.Ok;
    }

    private async Task IncrementAsync(int process, string key)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var result = await _client.IncrementAsync(key);
            Record(new Operation(process, key, OperationKind.Increment, result.ToString(CultureInfo.InvariantCulture), invoked, Stopwatch.GetTimestamp(), OperationOutcome.Ok));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // It may have added one (once: a retry carries the same write id).
            Record(new Operation(process, key, OperationKind.Increment, null, invoked, Stopwatch.GetTimestamp(), OperationOutcome.Unknown));
            Report(key, ex);
        }
    }

    private async Task<bool> ReadCounterAsync(int process, string key)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var (found, value) = await _client.TryGetAsync<long>(key);
            Record(new Operation(process, key, OperationKind.Read, found ? value.ToString(CultureInfo.InvariantCulture) : null, invoked, Stopwatch.GetTimestamp(), OperationOutcome.Ok));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Record(new Operation(process, key, OperationKind.Read, null, invoked, Stopwatch.GetTimestamp(), OperationOutcome.Unknown));
            Report(key, ex);
            return false;
        }
    }

    private async Task<bool> ReadAsync(int process, string key)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var (found, value) = await _client.TryGetAsync<string>(key);
            Record(new Operation(process, key, OperationKind.Read, found ? value : null, invoked, Stopwatch.GetTimestamp(), OperationOutcome.Ok));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Record(new Operation(process, key, OperationKind.Read, null, invoked, Stopwatch.GetTimestamp(), OperationOutcome.Unknown));
            Report(key, ex);
            return false;
        }
    }

    /// <summary>
    /// Reads every register and every acknowledged key back, retrying each until it answers or
    /// <paramref name="timeout"/> passes; the reads are recorded like any other. Answers how many were read and how many not.
    /// </summary>
    private async Task<(int Read, int Unread)> ReadBackAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var process = (_clientNumber * 1000) + 999;
        var read = 0;
        var registers = _registersByRange.SelectMany(r => r).ToArray();
        for (var i = 0; i < registers.Length; i++)
        {
            var register = registers[i];
            try
            {
                await Wait.UntilAsync(() => ReadAsync(process, register), Left(), $"a read of {register}");
            }
            catch (TimeoutException)
            {
                return (read, registers.Length - i + _acknowledgedKeys.Count);
            }

            read++;
        }

        foreach (var counter in _counterByRange)
        {
            try
            {
                await Wait.UntilAsync(() => ReadCounterAsync(process, counter), Left(), $"a read of {counter}");
            }
            catch (TimeoutException)
            {
                return (read, _counterByRange.Length + _acknowledgedKeys.Count);
            }

            read++;
        }

        foreach (var chunk in _acknowledgedKeys.Chunk(500))
        {
            // Past the deadline the last error ends the client (as the inner exception of the timeout).
            await Wait.UntilAsync(() => ReadChunkAsync(process, chunk), Left(), "the final read of the acknowledged keys");
            read += chunk.Length;
        }

        return (read, 0);

        // Each read is tried at least once, even past the deadline.
        TimeSpan Left() => TimeSpan.FromTicks(Math.Max((timeout - clock.Elapsed).Ticks, TimeSpan.TicksPerMillisecond));
    }

    /// <summary>Reads <paramref name="keys"/> in one call and records each read; false (and says why) when it failed.</summary>
    private async Task<bool> ReadChunkAsync(int process, string[] keys)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            var values = await _client.GetManyAsync<string>(keys);
            var completed = Stopwatch.GetTimestamp();
            foreach (var key in keys)
            {
                Record(new Operation(process, key, OperationKind.Read, values.TryGetValue(key, out var value) ? value : null, invoked, completed, OperationOutcome.Ok));
            }

            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.WriteLine($"final read retried: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>Prints a failed operation's error (every 20th per client, so the log shows what went wrong without flooding).</summary>
    private void Report(string key, Exception ex)
    {
        if (Interlocked.Increment(ref _failures) % 20 == 1)
        {
            Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {key}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Record(Operation operation)
    {
        Interlocked.Increment(ref _operations);
        _history.Writer.TryWrite(operation);
    }

    private async Task WriteHistoryAsync(StreamWriter file)
    {
        var flushed = Stopwatch.StartNew();
        await foreach (var operation in _history.Reader.ReadAllAsync())
        {
            HistoryFile.Append(file, operation);
            if (flushed.ElapsedMilliseconds > 200)
            {
                await file.FlushAsync();
                flushed.Restart();
            }
        }

        await file.FlushAsync();
    }
}
