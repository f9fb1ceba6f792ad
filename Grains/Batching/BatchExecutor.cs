using System.Diagnostics;
using DiMint.Grains.Hosting;
using DiMint.Grains.Ranges;
using DiMint.Grains.Silos;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Batching;

/// <summary>
/// Runs client batches on this silo, for the <see cref="SiloBatchService"/> (batches that came as Orleans calls) and the
/// <see cref="DataPortListener"/> (batches that came on the data port) alike.
/// <list type="bullet">
/// <item>Reads of ranges mastered here are answered from the silo's <see cref="RangeStore"/> under the copy's lock, with
/// the checks the range grain makes: committed values only, and only while the master's lease holds. A read that fails
/// any of them (the key is not this master's, the client's ring is newer, the copy is retired, fenced or not yet a
/// master, the lease ran out, the key is invalid) goes to the range grain, which renews the lease, answers Moved or
/// the error.</item>
/// <item>Writes go to the range grain, which orders them and waits for the replicas: as a turn queued on its scheduler
/// when it is active here (<see cref="RangeGrain.SetManyFromSiloAsync"/>), else as a grain call.</item>
/// </list>
/// Holds no data. Counts what it serves in <see cref="RangeCallCounter"/>, as the range grains' call filter does.
/// Thread-safe: it runs on whichever thread the batch arrived on.
/// </summary>
internal sealed class BatchExecutor
{
    private readonly IGrainFactory _grains;
    private readonly RangeStore _store;
    private readonly LocalGrains<RangeGrain> _local;
    private readonly RangeCallCounter _counter;
    private readonly DiMintLimitsOptions _limits;
    private readonly TimeProvider _time;

    /// <summary>How the grain keys of ranges mastered here end: <c>/</c> and this silo's parsable address.</summary>
    private readonly string _localKeySuffix;

    /// <summary>Range ids, epochs and grain references by grain key: Orleans resolves the interface type by reflection on every GetGrain.</summary>
    private readonly BoundedCache<string, Target> _ranges = new(4096, StringComparer.Ordinal);

    public BatchExecutor(
        ILocalSiloDetails silo,
        IGrainFactory grains,
        RangeStore store,
        LocalGrains<RangeGrain> local,
        RangeCallCounter counter,
        IOptions<DiMintLimitsOptions> limits,
        TimeProvider time)
    {
        _time = time;
        _grains = grains;
        _store = store;
        _local = local;
        _counter = counter;
        _limits = limits.Value;
        _localKeySuffix = "/" + silo.SiloAddress.ToParsableString();
    }

    /// <summary>
    /// Runs each range's part, all ranges at once; answers one result per part, in order. A part that fails carries its
    /// error; the others are unaffected.
    /// </summary>
    public Task<RangeBatchResult[]> ExecuteAsync(RangeBatch[] batches, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var results = new RangeBatchResult[batches.Length];
        Task<RangeBatchResult>[]? pending = null;
        for (var i = 0; i < batches.Length; i++)
        {
            var batch = batches[i];
            var target = Range(batch.GrainKey);
            var read = batch.ReadKeys.Length > 0 ? TryReadHere(target, batch.ReadKeys, ringVersion) : null;
            if ((batch.ReadKeys.Length == 0 || read is not null) && batch.WriteKeys.Length == 0 && batch.UpdateKeys.Length == 0)
            {
                results[i] = new RangeBatchResult { Reads = read };
                continue;
            }

            (pending ??= new Task<RangeBatchResult>[batches.Length])[i] = RunAsync(batch, target, read, ringVersion);
        }

        return pending is null ? Task.FromResult(results) : CompleteAsync(results, pending);
    }

    private static async Task<RangeBatchResult[]> CompleteAsync(RangeBatchResult[] results, Task<RangeBatchResult>[] pending)
    {
        for (var i = 0; i < pending.Length; i++)
        {
            if (pending[i] is { } part)
            {
                results[i] = await part;
            }
        }

        return results;
    }

    /// <summary>One range's part that needs its grain: the writes, and the reads unless <paramref name="read"/> answered them.</summary>
    private async Task<RangeBatchResult> RunAsync(RangeBatch batch, Target target, BatchReadResult? read, long ringVersion)
    {
        var writes = batch.WriteKeys.Length > 0 ? Capture(WriteAsync(batch, target, ringVersion)) : null;
        var updates = batch.UpdateKeys.Length > 0 ? UpdateAsync(batch, target, ringVersion) : null;
        var reads = batch.ReadKeys.Length > 0 && read is null ? Capture(target.Grain.GetManyAsync(batch.ReadKeys, ringVersion)) : null;
        var (written, writeError) = writes is null ? default : await writes;
        var (updated, updateErrors) = updates is null ? default : await updates;
        var (readAnswer, readError) = reads is null ? (read, null) : await reads;
        return new RangeBatchResult { Reads = readAnswer, ReadError = readError, Writes = written, WriteError = writeError, Updates = updated, UpdateErrors = updateErrors };
    }

    /// <summary>The part's updates: as one turn of the local range grain, else each as a call of its own.</summary>
    private Task<(UpdateResult?[] Results, Exception?[] Errors)> UpdateAsync(RangeBatch batch, Target target, long ringVersion)
    {
        if (batch.UpdateKeys.Length != batch.Updates.Length || (batch.UpdateIds is { } ids && ids.Ids.Length != batch.UpdateKeys.Length))
        {
            var error = new ArgumentException($"{batch.UpdateKeys.Length} keys to update, but {batch.Updates.Length} updates and {batch.UpdateIds?.Ids.Length} ids.");
            return Task.FromResult<(UpdateResult?[], Exception?[])>((new UpdateResult?[batch.UpdateKeys.Length], [.. batch.UpdateKeys.Select(_ => (Exception?)error)]));
        }

        return _local.TryGet(batch.GrainKey, out var grain)
            ? grain.UpdateManyFromSiloAsync(batch.UpdateKeys, batch.Updates, ringVersion, batch.UpdateIds)
            : RangeGrain.UpdateEachAsync(batch.UpdateKeys, batch.UpdateIds, (i, ids) => target.Grain.UpdateAsync(batch.UpdateKeys[i], batch.Updates[i], ringVersion, ids));
    }

    private Task<WriteResult> WriteAsync(RangeBatch batch, Target target, long ringVersion) =>
        _local.TryGet(batch.GrainKey, out var grain)
            ? CountedAsync(grain.SetManyFromSiloAsync(batch.WriteKeys, batch.WriteValues, ringVersion, batch.WriteIds))
            : target.Grain.SetManyAsync(batch.WriteKeys, batch.WriteValues, ringVersion, batch.WriteIds);

    /// <summary>A write handed to a local grain, counted as its call filter would have counted the call.</summary>
    private async Task<WriteResult> CountedAsync(Task<WriteResult> write)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var result = await write;
            failed = false;
            return result;
        }
        finally
        {
            _counter.Record(nameof(IRangeGrain.SetManyAsync), Stopwatch.GetTimestamp() - started, failed);
        }
    }

    private static async Task<(T? Result, Exception? Error)> Capture<T>(Task<T> call)
        where T : class
    {
        try
        {
            return (await call, null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    /// <summary>
    /// The reads of <paramref name="keys"/> answered from this silo's master copy of <paramref name="target"/>, or null
    /// when the range grain must answer (see the class summary).
    /// </summary>
    private BatchReadResult? TryReadHere(Target target, string[] keys, long ringVersion)
    {
        if (target.Id < 0 || !_store.TryGet(target.Id, out var data))
        {
            return null;
        }

        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key) || !DiMintKey.FitsSize(key, _limits.MaxKeyBytes))
            {
                return null;
            }
        }

        var started = Stopwatch.GetTimestamp();
        if (data.TryReadAsMaster(target.Epoch, ringVersion, keys, _time.GetTimestamp()) is not { } values)
        {
            return null;
        }

        _counter.Record(nameof(IRangeGrain.GetManyAsync), Stopwatch.GetTimestamp() - started, failed: false);
        return new BatchReadResult { Status = RangeStatus.Ok, Values = values };
    }

    private Target Range(string grainKey) => _ranges.GetOrAdd(grainKey, static (key, service) => service.NewTarget(key), this);

    private Target NewTarget(string grainKey)
    {
        // A key of another silo's master, or one that does not parse, is read through its grain (which answers
        // Moved, or the error).
        var (id, epoch) = grainKey.EndsWith(_localKeySuffix, StringComparison.Ordinal) && RangeGrain.TryParseKey(grainKey, out var parsed)
            ? parsed
            : (-1, -1L);
        return new Target(id, epoch, _grains.GetGrain<IRangeGrain>(grainKey));
    }

    /// <summary>A range part's target: the master's id and epoch when it lives here (else id -1), and its grain.</summary>
    private sealed record Target(int Id, long Epoch, IRangeGrain Grain);
}
