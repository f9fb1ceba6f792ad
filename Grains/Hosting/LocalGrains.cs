using System.Collections.Concurrent;

namespace DiMint.Grains.Hosting;

/// <summary>
/// The grains of one class active on this silo, by grain key, so that a silo service can call one without sending it a
/// message: the batch executor runs a write as a turn queued on the range grain's own scheduler (<see cref="Turn"/>),
/// the same turn-based execution without serializing, addressing and dispatching a local call; the replication receiver
/// applies a batch under the replica grain's lock. A grain adds
/// itself once its activation has completed (Orleans would not deliver a call earlier) and removes itself when it
/// deactivates.
/// </summary>
internal sealed class LocalGrains<TGrain>
    where TGrain : Grain
{
    private readonly ConcurrentDictionary<string, TGrain> _grains = new(StringComparer.Ordinal);

    public void Add(string grainKey, TGrain grain) => _grains[grainKey] = grain;

    public void Remove(string grainKey, TGrain grain) => _grains.TryRemove(new KeyValuePair<string, TGrain>(grainKey, grain));

    public bool TryGet(string grainKey, out TGrain grain) => _grains.TryGetValue(grainKey, out grain!);
}

/// <summary>Runs a call as a turn of a grain activation, queued on its scheduler from any thread.</summary>
internal static class Turn
{
    /// <summary>
    /// Queues <paramref name="call"/> on <paramref name="context"/>'s scheduler; the task completes with the result of the
    /// task it returns, on whichever thread that completes (no hop back, and no turn of the grain just to pass it on).
    /// </summary>
    public static Task<TResult> Queue<TResult>(IGrainContext context, Func<Task<TResult>> call)
    {
        var turn = new Pending<TResult>(call);
        context.Scheduler.QueueAction(static state => ((Pending<TResult>)state!).Run(), turn);
        return turn.Result.Task;
    }

    private sealed class Pending<TResult>(Func<Task<TResult>> call)
    {
        public TaskCompletionSource<TResult> Result { get; } = new();

        public void Run()
        {
            Task<TResult> task;
            try
            {
                task = call();
            }
            catch (Exception ex)
            {
                Result.TrySetException(ex);
                return;
            }

            task.ContinueWith(
                static (done, state) => ((Pending<TResult>)state!).Result.TrySetFromTask(done),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
