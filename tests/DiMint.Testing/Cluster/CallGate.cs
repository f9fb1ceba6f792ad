using System.Collections.Concurrent;

namespace DiMint.Testing.Cluster;

/// <summary>
/// Holds the calls of one method on one grain (by key) until the test lets them go: a replica that stops acknowledging
/// while its silo stays up, say. The in-process fixture's silos run it on every incoming call; it passes everything on
/// at once unless a test closed a gate. Static, because the silos of a test process share it; grain keys that name a
/// silo address are unique per cluster, so tests of other clusters are not held.
/// </summary>
public sealed class CallGate : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string GrainKey, string Method), TaskCompletionSource> Closed = new();

    /// <summary>Holds calls of <paramref name="method"/> on the grain keyed <paramref name="grainKey"/> until the answer is disposed.</summary>
    public static IDisposable Close(string grainKey, string method)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Closed.TryAdd((grainKey, method), gate))
        {
            throw new InvalidOperationException($"{method} on {grainKey} is held already.");
        }

        return new Opener(grainKey, method, gate);
    }

    /// <summary>
    /// Fails calls of <paramref name="method"/> on the grain keyed <paramref name="grainKey"/> at once, without running
    /// them (a replica that loses the batches sent to it, while its grain keeps answering other calls), until the answer
    /// is disposed.
    /// </summary>
    public static IDisposable Refuse(string grainKey, string method)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetException(new InvalidOperationException($"{method} on {grainKey} is refused by the test."));
        if (!Closed.TryAdd((grainKey, method), gate))
        {
            throw new InvalidOperationException($"{method} on {grainKey} is held already.");
        }

        return new Opener(grainKey, method, gate);
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (!Closed.IsEmpty
            && context.InterfaceMethod?.Name is { } method
            && Closed.TryGetValue((context.TargetId.Key.ToString()!, method), out var gate))
        {
            await gate.Task;
        }

        await context.Invoke();
    }

    private sealed class Opener(string grainKey, string method, TaskCompletionSource gate) : IDisposable
    {
        public void Dispose()
        {
            Closed.TryRemove(new KeyValuePair<(string, string), TaskCompletionSource>((grainKey, method), gate));
            gate.TrySetResult();
        }
    }
}
