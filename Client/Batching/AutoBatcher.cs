using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace DiMint.Client.Batching;

/// <summary>
/// Sends concurrent single-key reads (or writes) bound for the same silo as one call (Nagle-free: an operation leaves at
/// once when no batch of its kind to its silo is in flight, and waits for the one in flight otherwise). Every batch, one
/// operation or many, goes to the silo's data port (<see cref="DataPorts"/>) when the client has a connection to it, else
/// to the silo's <see cref="ISiloBatchService"/> through that silo's own gateway (<see cref="SiloGateways"/>). Each
/// operation gets its own outcome, which the caller's retry loop handles as it would a call of its own.
/// </summary>
internal sealed class AutoBatcher(DimintClient client, DimintClientOptions options)
{
    private readonly DimintClient _client = client;
    private readonly DimintClientOptions _options = options;
    private readonly SiloGateways _gateways = new(client.GrainFactory);
    private readonly DataPorts? _dataPorts = DataPortsOf(client.GrainFactory, options);

    /// <summary>
    /// Reads and writes wait in separate queues per silo: a read does not wait for a batch of writes, which answers only
    /// once replicas acknowledged it.
    /// </summary>
    private readonly ConcurrentDictionary<(SiloAddress Master, BatchOpKind Kind), BatchQueue> _queues = new();

    /// <summary>
    /// Batches in flight per queue. One (Nagle-free) batches the most; two or four measured no better on a loaded
    /// two-core machine, where each extra call in flight costs thread-pool wake-ups on client and silo.
    /// </summary>
    private const int MaxInFlight = 1;

    /// <summary>
    /// When <see cref="KeepASecondSilo"/> last ran (<see cref="Environment.TickCount64"/>), so it runs at most once a second
    /// on the send path. Read and written by every caller's thread (<see cref="SendAsync"/>) with Volatile, no lock: two
    /// callers that both see it stale both run the check, which is harmless (a connection under way is not made twice).
    /// </summary>
    private long _secondSiloCheckedAt = long.MinValue / 2;

    /// <summary>Starts an attempt of <paramref name="op"/> routed with <paramref name="ring"/>.</summary>
    public ValueTask<BatchOutcome> SendAsync(BatchOp op, Ring ring)
    {
        if (Environment.TickCount64 - Volatile.Read(ref _secondSiloCheckedAt) >= 1000)
        {
            Volatile.Write(ref _secondSiloCheckedAt, Environment.TickCount64);
            KeepASecondSilo(ring);
        }

        var index = ring.IndexOf(op.Hash);
        var attempt = op.Start(ring, index);
        var destination = (ring.Ranges[index].Master, op.Kind);
        if (!_queues.TryGetValue(destination, out var queue))
        {
            queue = _queues.GetOrAdd(destination, new BatchQueue(destination.Master));
        }

        if (queue.Add(op, MaxInFlight, _options.MaxAutoBatchOps, _options.MaxAutoBatchBytes) is { } batch)
        {
            _ = RunAsync(queue, batch);
        }

        return attempt;
    }

    /// <summary>
    /// Watches the ring through the data ports of two silos this client is connected to (<see cref="DataPortRequest.RingAfter"/>;
    /// the first answer counts), or null when it has no open connection. A client connects to the silos it sends to: one
    /// whose ranges all live on one silo that then paused had only that silo to ask, and learned of the promotions only
    /// when its calls timed out (5 s). So it also keeps a connection to a second silo of the ring.
    /// </summary>
    public Task<RingUpdate?>? WatchRingThroughSiloAsync(long version)
    {
        if (_dataPorts is null)
        {
            return null;
        }

        var open = _dataPorts.SomeOpen(2);
        return open.Length switch
        {
            0 => null,
            1 => open[0].WatchRingAsync(version),
            _ => FirstRingAsync(open[0].WatchRingAsync(version), open[1].WatchRingAsync(version)),
        };
    }

    /// <summary>
    /// When this client has an open data-port connection to fewer than two silos, starts one to a silo of
    /// <paramref name="ring"/> it has none to (see <see cref="WatchRingThroughSiloAsync"/>).
    /// </summary>
    private void KeepASecondSilo(Ring ring)
    {
        if (_dataPorts is not { OpenCount: < 2 } ports)
        {
            return;
        }

        foreach (var silo in ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master)).Distinct())
        {
            // Null while the connection is being made (or failed a moment ago): it is made in the background.
            if (ports.For(silo, _gateways.For(silo)) is null)
            {
                return;
            }
        }
    }

    /// <summary>The first ring either watch answers; the other's, when the first failed.</summary>
    private static async Task<RingUpdate?> FirstRingAsync(Task<RingUpdate?> one, Task<RingUpdate?> other)
    {
        var first = await Task.WhenAny(one, other).ConfigureAwait(false);
        if (first.IsCompletedSuccessfully && first.Result is not null)
        {
            _ = (first == one ? other : one).ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            return first.Result;
        }

        _ = first.Exception;
        return await (first == one ? other : one).ConfigureAwait(false);
    }

    /// <summary>Closes the data port connections (the client is shutting down).</summary>
    public void Close() => _dataPorts?.CloseAll();

    /// <summary>The data ports, when the options want them and the grain factory is an Orleans client with its serializer.</summary>
    private static DataPorts? DataPortsOf(IGrainFactory grains, DimintClientOptions options) =>
        options.UseDataPort && grains is IClusterClient { ServiceProvider: var services }
            && services.GetService<Serializer<DataPortRequest>>() is { } requests
            && services.GetService<Serializer<DataPortAnswer>>() is { } answers
            ? new DataPorts(new DataPortCodec(requests, answers), options.AttemptTimeout, options.Secret(), options.Tls())
            : null;

    private void SendNext(BatchQueue queue)
    {
        if (queue.Next(_options.MaxAutoBatchOps, _options.MaxAutoBatchBytes) is { } batch)
        {
            _ = RunAsync(queue, batch);
        }
    }

    private async Task RunAsync(BatchQueue queue, List<BatchOp> batch)
    {
        var flight = new Flight(this, queue, _client.CurrentRing ?? batch[0].Ring);
        var count = flight.Plan(batch);
        if (count == 0)
        {
            flight.Release();
            Flight.CompleteRerouted(batch);
            return;
        }

        Task<RangeBatchResult[]> call;
        try
        {
            call = flight.CallAsync();
        }
        catch (Exception ex)
        {
            call = Task.FromException<RangeBatchResult[]>(ex);
        }

        Flight.CompleteRerouted(batch);
        RangeBatchResult[]? results = null;
        Exception? error = null;
        try
        {
            // Not on the first caller's context: the batch answers every caller in it.
            results = await _client.AwaitAttemptAsync(call, flight, static (ring, f) => f.StillServed(ring), static f => f.Release(), default).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        if (results is not null && !flight.Fits(results))
        {
            error = new InvalidOperationException($"The silo answered a batch of {count} operations with results that do not match it.");
        }

        // Let the next batch leave before answering callers: their continuations run on this thread.
        flight.Release();
        if (error is not null)
        {
            flight.FailAll(error, count);
        }
        else
        {
            flight.Deliver(results!);
        }
    }

    /// <summary>One batch on its way: its operations grouped by range, and whether its queue was released.</summary>
    private sealed class Flight(AutoBatcher owner, BatchQueue queue, Ring ring)
    {
        private readonly List<Part> _parts = [];
        private int _released;

        /// <summary>Groups the operations still served by the queue's silo under the batch's ring; returns how many.</summary>
        public int Plan(List<BatchOp> batch)
        {
            var count = 0;
            foreach (var op in batch)
            {
                var index = ReferenceEquals(op.Ring, ring) ? op.RangeIndex : ring.IndexOf(op.Hash);
                if (!ring.Ranges[index].Master.Equals(queue.Silo))
                {
                    op.RangeIndex = -1;
                    continue;
                }

                op.RangeIndex = index;
                op.SentRingVersion = ring.Version;
                PartOf(index).Add(op);
                count++;
            }

            return count;
        }

        public Task<RangeBatchResult[]> CallAsync()
        {
            var batches = new RangeBatch[_parts.Count];
            for (var i = 0; i < batches.Length; i++)
            {
                batches[i] = _parts[i].ToBatch(ring, owner._client.WriteIdSource);
            }

            if (owner._options.LocalBatches is { } local && local.Silo.Equals(queue.Silo))
            {
                // A client inside that very silo: no hop at all.
                return local.ExecuteAsync(batches, ring.Version);
            }

            var service = owner._gateways.For(queue.Silo);
            return owner._dataPorts?.For(queue.Silo, service) is { } connection
                ? connection.ExecuteAsync(batches, ring.Version)
                : service.ExecuteAsync(batches, ring.Version);
        }

        /// <summary>Whether <paramref name="results"/> answer every part (a value per read), so each operation gets its own.</summary>
        public bool Fits(RangeBatchResult[] results)
        {
            if (results.Length != _parts.Count)
            {
                return false;
            }

            for (var i = 0; i < results.Length; i++)
            {
                var (part, result) = (_parts[i], results[i]);
                if (part.Reads is { } reads && result.ReadError is null
                    && result.Reads is not { Status: RangeStatus.Moved, Ring: not null }
                    && !(result.Reads is { Status: RangeStatus.Ok, Values: { } values } && values.Length == reads.Count))
                {
                    return false;
                }

                if (part.Writes is not null && result.WriteError is null && result.Writes is null)
                {
                    return false;
                }

                if (part.Updates is { } updates
                    && (result.Updates is not { } answers || answers.Length != updates.Count || result.UpdateErrors is not { } errors || errors.Length != updates.Count
                        || Enumerable.Range(0, updates.Count).Any(j => answers[j] is null && errors[j] is null)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Whether every range of the batch still has the master it was sent to.</summary>
        public bool StillServed(Ring current)
        {
            foreach (var part in _parts)
            {
                var sent = ring.Ranges[part.Index];
                if (current.FindById(sent.Id) is not { } now || now.Epoch != sent.Epoch || !now.Master.Equals(sent.Master))
                {
                    return false;
                }
            }

            return true;
        }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.SendNext(queue);
            }
        }

        public static void CompleteRerouted(List<BatchOp> batch)
        {
            foreach (var op in batch)
            {
                if (op.RangeIndex < 0)
                {
                    op.Complete(BatchOutcome.Rerouted);
                }
            }
        }

        public void FailAll(Exception error, int count)
        {
            foreach (var part in _parts)
            {
                Fail(part.Reads, error, count);
                Fail(part.Writes, error, count);
                Fail(part.Updates, error, count);
            }
        }

        public void Deliver(RangeBatchResult[] results)
        {
            for (var i = 0; i < _parts.Count; i++)
            {
                var part = _parts[i];
                var result = results[i];
                if (part.Reads is { } reads)
                {
                    if (result.ReadError is { } error)
                    {
                        Fail(reads, error, reads.Count);
                    }
                    else if (result.Reads is { Status: RangeStatus.Moved, Ring: { } moved })
                    {
                        Move(reads, moved);
                    }
                    else
                    {
                        var values = result.Reads!.Values!;
                        for (var j = 0; j < reads.Count; j++)
                        {
                            reads[j].Value = values[j];
                            reads[j].Complete(BatchOutcome.Done);
                        }
                    }
                }

                if (part.Updates is { } updates)
                {
                    for (var j = 0; j < updates.Count; j++)
                    {
                        var op = updates[j];
                        if (result.UpdateErrors![j] is { } error)
                        {
                            // Each update's error is its own (a value that is not an integer, say), not its batch's.
                            Fail([op], error, 1);
                        }
                        else if (result.Updates![j] is { Status: RangeStatus.Moved, Ring: { } moved })
                        {
                            Move([op], moved);
                        }
                        else
                        {
                            op.UpdateResult = result.Updates[j];
                            op.Complete(BatchOutcome.Done);
                        }
                    }
                }

                if (part.Writes is { } writes)
                {
                    if (result.WriteError is { } error)
                    {
                        Fail(writes, error, writes.Count);
                    }
                    else if (result.Writes is { Status: RangeStatus.Moved, Ring: { } moved })
                    {
                        Move(writes, moved);
                    }
                    else
                    {
                        foreach (var op in writes)
                        {
                            op.Complete(BatchOutcome.Done);
                        }
                    }
                }
            }
        }

        private static void Move(List<BatchOp> ops, RingUpdate moved)
        {
            foreach (var op in ops)
            {
                op.MovedTo = moved;
                op.Complete(BatchOutcome.Moved);
            }
        }

        /// <summary>
        /// A failure the caller would retry reaches each operation as it is. Any other failure of several operations may
        /// belong to one of them (a key or value over the silo's limit): each is sent again on its own.
        /// </summary>
        private static void Fail(List<BatchOp>? ops, Exception error, int sharedBy)
        {
            if (ops is null)
            {
                return;
            }

            var alone = sharedBy > 1 && !DimintClient.IsTransient(error);
            foreach (var op in ops)
            {
                if (alone)
                {
                    op.Alone = true;
                    op.Complete(BatchOutcome.Alone);
                }
                else
                {
                    op.Error = error;
                    op.Complete(BatchOutcome.Failed);
                }
            }
        }

        private Part PartOf(int index)
        {
            foreach (var part in _parts)
            {
                if (part.Index == index)
                {
                    return part;
                }
            }

            var added = new Part(index);
            _parts.Add(added);
            return added;
        }
    }

    /// <summary>One range's operations in a batch, in call order.</summary>
    private sealed class Part(int index)
    {
        public int Index { get; } = index;

        public List<BatchOp>? Reads { get; private set; }

        public List<BatchOp>? Writes { get; private set; }

        public List<BatchOp>? Updates { get; private set; }

        public void Add(BatchOp op)
        {
            switch (op.Kind)
            {
                case BatchOpKind.Get:
                    (Reads ??= []).Add(op);
                    break;
                case BatchOpKind.Update:
                    (Updates ??= []).Add(op);
                    break;
                default:
                    (Writes ??= []).Add(op);
                    break;
            }
        }

        public RangeBatch ToBatch(Ring ring, WriteIdSource writeIds)
        {
            var reads = new string[Reads?.Count ?? 0];
            for (var i = 0; i < reads.Length; i++)
            {
                reads[i] = Reads![i].Key;
            }

            var keys = new string[Writes?.Count ?? 0];
            var values = new byte[keys.Length][];
            var ids = new long[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = Writes![i].Key;
                values[i] = Writes[i].Value!;
                ids[i] = Writes[i].WriteId;
            }

            var updateKeys = new string[Updates?.Count ?? 0];
            var updates = new KeyUpdate[updateKeys.Length];
            var updateIds = new long[updateKeys.Length];
            for (var i = 0; i < updateKeys.Length; i++)
            {
                updateKeys[i] = Updates![i].Key;
                updates[i] = Updates[i].Update!;
                updateIds[i] = Updates[i].WriteId;
            }

            return new RangeBatch
            {
                GrainKey = ring.Ranges[Index].GrainKey,
                ReadKeys = reads,
                WriteKeys = keys,
                WriteValues = values,
                WriteIds = keys.Length > 0 ? writeIds.For(ids) : null,
                UpdateKeys = updateKeys,
                Updates = updates,
                UpdateIds = updateKeys.Length > 0 ? writeIds.For(updateIds) : null,
            };
        }
    }
}
