using System.Collections.Concurrent;
using DiMint.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace DiMint.Grains.Replication;

/// <summary>
/// The masters' side of replication: write batches of all ranges bound for the same silo travel together, on that
/// silo's data port when this silo has a connection to it (<see cref="DataPorts"/>), else as an Orleans call to its
/// <see cref="IReplicationService"/>. Nagle-free like the client's batching: a batch leaves at once when no call to its silo is in flight, and
/// otherwise waits for that call and leaves with whatever else waited. Each range still has one batch in flight per
/// replica and gets its own acknowledgement, or a <see cref="TimeoutException"/> after
/// <see cref="ReplicationOptions.AckTimeout"/> (one timer per call to a silo, not one per range).
/// </summary>
internal sealed class ReplicationChannel(IGrainFactory grains, DataPorts dataPorts, IOptions<ReplicationOptions> options, IClusterMembershipService membership)
{
    /// <summary>
    /// Whether this silo's view of the cluster has <paramref name="silo"/> declared dead (or a later incarnation of it
    /// joined): its copies will never answer again, so waiting for them is waiting out <see cref="ReplicationOptions.AckTimeout"/>.
    /// </summary>
    public bool IsDead(SiloAddress silo) => membership.CurrentSnapshot.GetSiloStatus(silo) == SiloStatus.Dead;

    private readonly TimeSpan _timeout = options.Value.AckTimeout;
    private readonly IGrainFactory _grains = grains;
    private readonly DataPorts _dataPorts = dataPorts;
    private readonly ConcurrentDictionary<SiloAddress, Lane> _lanes = new();

    /// <summary>The lane to <paramref name="silo"/>, for a replica's feed to keep (one lookup per feed, not per batch).</summary>
    public Lane LaneTo(SiloAddress silo) =>
        _lanes.TryGetValue(silo, out var lane) ? lane : _lanes.GetOrAdd(silo, static (silo, channel) => new Lane(silo, channel), this);

    /// <summary>The batches waiting for one silo, and whether a call to it is in flight.</summary>
    internal sealed class Lane(SiloAddress silo, ReplicationChannel channel)
    {
        private readonly IReplicationService _service = channel._grains.GetGrain<IReplicationService>(ReplicationServiceId.At(silo));

        /// <summary>The silo's replication service, for questions about its copies (addressed by silo, like the batches).</summary>
        public IReplicationService Service => _service;
        private readonly ISiloBatchService _batchService = channel._grains.GetGrain<ISiloBatchService>(SiloBatchServiceId.At(silo));
        private readonly DataPorts.Peer _dataPort = channel._dataPorts.PeerOf(silo);
        private readonly Lock _lock = new();
        private List<Pending> _waiting = [];
        private bool _inFlight;

        /// <summary>Sends <paramref name="batch"/> to the replica of its range on this lane's silo; answers its acknowledgement.</summary>
        public Task<ReplicaAck> Send(ReplicationBatch batch)
        {
            var pending = new Pending(batch);
            List<Pending> leaving;
            lock (_lock)
            {
                _waiting.Add(pending);
                if (_inFlight)
                {
                    return pending.Ack.Task;
                }

                _inFlight = true;
                (leaving, _waiting) = (_waiting, []);
            }

            // On the data port the batch leaves from this thread, and what follows runs where the answer arrives. An Orleans
            // call leaves from the thread pool, off the calling grain's scheduler: the lane serves every range on this silo.
            if (_dataPort.Connection(_batchService) is { } connection)
            {
                _ = RunAsync(leaving, connection);
            }
            else
            {
                _ = Task.Run(() => RunAsync(leaving, null));
            }

            return pending.Ack.Task;
        }

        /// <summary>Sends what is leaving, then whatever waited meanwhile; the first round on <paramref name="connection"/> when given.</summary>
        private async Task RunAsync(List<Pending> leaving, DataPortConnection? connection)
        {
            while (true)
            {
                var batches = new ReplicationBatch[leaving.Count];
                for (var i = 0; i < batches.Length; i++)
                {
                    batches[i] = leaving[i].Batch;
                }

                try
                {
                    connection ??= _dataPort.Connection(_batchService);
                    var call = connection is not null ? connection.ReplicateAsync(batches) : _service.ApplyAsync(batches);
                    connection = null;
                    var answers = await call.WaitAsync(channel._timeout).ConfigureAwait(false);
                    for (var i = 0; i < leaving.Count; i++)
                    {
                        var answer = i < answers.Length ? answers[i] : null;
                        if (answer?.Ack is { } ack)
                        {
                            leaving[i].Ack.TrySetResult(ack);
                        }
                        else
                        {
                            leaving[i].Ack.TrySetException(answer?.Error ?? new InvalidOperationException("The replica's silo answered no acknowledgement for this batch."));
                        }
                    }
                }
                catch (Exception ex)
                {
                    foreach (var pending in leaving)
                    {
                        pending.Ack.TrySetException(ex);
                    }
                }

                lock (_lock)
                {
                    if (_waiting.Count == 0)
                    {
                        _inFlight = false;
                        return;
                    }

                    (leaving, _waiting) = (_waiting, []);
                }
            }
        }
    }

    private sealed class Pending(ReplicationBatch batch)
    {
        public ReplicationBatch Batch { get; } = batch;

        /// <summary>
        /// Completed by the lane's loop, holding no lock, so its continuation (the feed's steady state, which handles the
        /// acknowledgement off the range grain's scheduler) runs inline: no thread-pool hop per batch.
        /// </summary>
        public TaskCompletionSource<ReplicaAck> Ack { get; } = new();
    }
}
