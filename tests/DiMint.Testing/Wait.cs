using System.Diagnostics;

namespace DiMint.Testing;

/// <summary>Waits for a condition with a deadline, instead of sleeping and hoping.</summary>
public static class Wait
{
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls <paramref name="condition"/> every <paramref name="poll"/> (default 100 ms; shorter for brief states)
    /// until it holds; fails the test with <paramref name="what"/> at the deadline.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? poll = null)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                last = ex;
            }

            await Task.Delay(poll ?? DefaultPoll);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}", last);
    }

    /// <summary>Polls a synchronous condition. See <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, string)"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? poll = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, poll);
}
