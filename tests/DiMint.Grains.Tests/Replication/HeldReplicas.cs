using DiMint.Client;
using DiMint.Grains.Hosting;
using DiMint.Grains.Replication;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Replication;

/// <summary>
/// Every replica of one range stops acknowledging while its silo stays up: the batches its master sends are taken out of
/// the silo's local replicas (so the data port applies them through the grain) and held there by <see cref="CallGate"/>
/// until this is disposed, as <c>ReplicationTests.Status_ReportsReplicationLagPerRange</c> does for one replica.
/// </summary>
internal sealed class HeldReplicas : IDisposable
{
    private readonly List<(LocalGrains<RangeReplicaGrain> Local, string GrainKey, RangeReplicaGrain Grain, IDisposable Gate)> _held = [];

    private HeldReplicas()
    {
    }

    /// <summary>
    /// Holds the replicas of <paramref name="range"/> (or only the one on <paramref name="only"/>), which must have had a
    /// write (its master and feeds are started) and be in sync, so that its replicas are active on their silos. With
    /// <paramref name="refuse"/>, their batches fail at once instead of waiting (the replicas lose them), so their grains
    /// keep answering fences and questions.
    /// </summary>
    public static async Task<HeldReplicas> HoldAsync(InProcessClusterFixture fixture, RangeInfo range, SiloAddress? only = null, bool refuse = false)
    {
        var held = new HeldReplicas();
        try
        {
            foreach (var silo in range.Replicas.Where(s => only is null || s.Equals(only)))
            {
                var grainKey = $"{range.Id}/{silo.ToParsableString()}";
                var services = ((InProcessSiloHandle)fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(silo))).SiloHost.Services;
                var local = services.GetRequiredService<LocalGrains<RangeReplicaGrain>>();
                RangeReplicaGrain? grain = null;
                await Wait.UntilAsync(() => local.TryGet(grainKey, out grain), TimeSpan.FromSeconds(10), $"replica {grainKey} to be active on its silo");
                local.Remove(grainKey, grain!);
                IDisposable gate;
                try
                {
                    gate = refuse
                        ? CallGate.Refuse(grainKey, nameof(IRangeReplicaGrain.ApplyAsync))
                        : CallGate.Close(grainKey, nameof(IRangeReplicaGrain.ApplyAsync));
                }
                catch
                {
                    local.Add(grainKey, grain!);
                    throw;
                }

                held._held.Add((local, grainKey, grain!, gate));
            }

            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the status shows both replicas of <paramref name="rangeId"/> in sync, with no lag.</summary>
    public static async Task WaitInSyncAsync(DimintClient client, int rangeId)
    {
        RangeStatusInfo? last = null;
        try
        {
            await Wait.UntilAsync(
                async () => (last = (await client.GetClusterStatusAsync()).Ranges.Single(r => r.Range.Id == rangeId)) is { ReplicaLag: 0, ReplicasInSync: 2 },
                TimeSpan.FromSeconds(20),
                $"range {rangeId}'s replicas to be in sync");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; it last showed lag {last?.ReplicaLag}, {last?.ReplicasInSync} replicas in sync", ex);
        }
    }

    /// <summary>Lets the held batches go and gives the replicas back to their silos' data ports.</summary>
    public void Dispose()
    {
        foreach (var (local, grainKey, grain, gate) in _held)
        {
            gate.Dispose();
            local.Add(grainKey, grain);
        }

        _held.Clear();
    }
}
