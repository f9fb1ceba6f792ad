using System.Diagnostics;

namespace DiMint.Faults.History;

/// <summary>
/// Wing and Gong's search for a linearization of one register's history, with Lowe's memoisation of
/// (linearized set, state) pairs, as in the Porcupine checker.
/// </summary>
/// <remarks>
/// The history becomes a doubly linked list of call and return entries in time order. Scanning from the head, the
/// search linearizes a pending call when the register accepts it and the resulting (linearized set, state) pair has
/// not been explored yet, removes ("lifts") its call and return from the list and starts again from the head. Reaching
/// a return entry means that operation must already have been linearized, which it is not (else it would have been
/// lifted): the search backtracks to the last linearized call and tries the next entry after it.
/// <para>
/// One reduction: a pending read that the current state accepts is linearized at once, with no alternative
/// tried. If any completion exists from here, moving the read to its front gives another: a read changes nothing,
/// and every operation that must precede it in real time is already linearized (the scan reached its call without
/// meeting the return of an unlinearized operation). This keeps the search from trying every interleaving of
/// concurrent reads, which dominated its time on a hot key; it halved the time and memory of a 10-process history.
/// </para>
/// <para>
/// Equal timestamps: a call sorts before a return at the same time. So an operation invoked at the very tick another
/// completed is treated as concurrent with it, not after it. Ticks of finite resolution cannot prove which came
/// first, and treating them as concurrent only ever allows more orders: the checker may miss a violation that hinges
/// on a single tick, but never reports one that did not happen.
/// </para>
/// </remarks>
internal static class RegisterSearch
{
    private const int Nil = -1;
    private const int DeadlineCheckInterval = 4096;

    private readonly record struct Entry(long Time, bool IsReturn, int Operation);

    /// <param name="history">The key's operations.</param>
    /// <param name="deadline">A <see cref="Stopwatch.GetTimestamp"/> value after which the search gives up.</param>
    /// <param name="explain">Collect what <see cref="SearchResult"/> needs to explain a failure (slower).</param>
    public static SearchResult Run(KeyHistory history, long deadline, bool explain)
    {
        var count = history.Count;
        if (count == 0)
        {
            return SearchResult.Linearizable;
        }

        var entryCount = 2 * count;
        var sorted = new Entry[entryCount];
        for (var i = 0; i < count; i++)
        {
            sorted[2 * i] = new Entry(history.Invoked[i], false, i);
            sorted[(2 * i) + 1] = new Entry(history.Returned[i], true, i);
        }

        Array.Sort(sorted, static (a, b) =>
            a.Time != b.Time ? a.Time.CompareTo(b.Time)
            : a.IsReturn != b.IsReturn ? (a.IsReturn ? 1 : -1)
            : a.Operation.CompareTo(b.Operation));

        // Entries are numbered by their position in time order; the head sentinel comes after them.
        var head = entryCount;
        var next = new int[entryCount + 1];
        var prev = new int[entryCount + 1];
        var operationOf = new int[entryCount];
        var isCall = new bool[entryCount];
        var returnOf = new int[count];
        for (var e = 0; e < entryCount; e++)
        {
            operationOf[e] = sorted[e].Operation;
            isCall[e] = !sorted[e].IsReturn;
            if (sorted[e].IsReturn)
            {
                returnOf[sorted[e].Operation] = e;
            }

            next[e] = e + 1 < entryCount ? e + 1 : Nil;
            prev[e] = e == 0 ? head : e - 1;
        }

        next[head] = 0;
        prev[head] = Nil;

        var linearized = new LinearizedSet(count);
        var cache = new HashSet<CacheKey>();
        var stackEntry = new int[count];
        var stackState = new int[count];
        var depth = 0;
        var state = KeyHistory.NotFound;
        var entry = next[head];
        var iterations = 0;
        var frontier = Nil;
        var rejected = explain ? new Dictionary<int, HashSet<int>>() : null;

        var forced = new bool[count];
        while (next[head] != Nil)
        {
            if (++iterations % DeadlineCheckInterval == 0 && Deadline.HasPassed(deadline))
            {
                return SearchResult.TimedOut;
            }

            var deadEnd = false;
            if (isCall[entry])
            {
                var operation = operationOf[entry];
                var isWrite = history.IsWrite[operation];
                var isIncrement = history.IsIncrement[operation];
                var incremented = isIncrement ? history.AfterIncrement(state) : 0;
                if (isIncrement
                    ? incremented < 0 || (history.Operations[operation].Outcome == OperationOutcome.Ok && history.Value[operation] != incremented)
                    : !isWrite && history.Value[operation] != state)
                {
                    if (rejected is not null)
                    {
                        Rejections(rejected, operation).Add(state);
                    }

                    entry = next[entry];
                    continue;
                }

                var newState = isWrite ? history.Value[operation] : isIncrement ? incremented : state;
                var force = !isWrite && !isIncrement;
                linearized.Set(operation);
                if (cache.Contains(linearized.Probe(newState)))
                {
                    // Explored before from this very (set, state): nothing new down this path. For a forced read
                    // that means nothing new from here at all (see the reduction above).
                    linearized.Clear(operation);
                    if (!force)
                    {
                        entry = next[entry];
                        continue;
                    }

                    deadEnd = true;
                }
                else
                {
                    cache.Add(linearized.Snapshot(newState));
                    stackEntry[depth] = entry;
                    stackState[depth] = state;
                    forced[depth] = force;
                    depth++;
                    state = newState;
                    Lift(entry, returnOf[operation], next, prev);
                    entry = next[head];
                    continue;
                }
            }

            if (!deadEnd)
            {
                // The return of an operation not yet linearized: this path is a dead end.
                frontier = Math.Max(frontier, entry);
            }

            // Backtrack to the last linearized call that still has alternatives (a forced read has none).
            while (true)
            {
                if (depth == 0)
                {
                    // Every search that fails has hit a return entry first: a cache hit needs an earlier failure.
                    var blocked = frontier == Nil ? 0 : operationOf[frontier];
                    IReadOnlyCollection<int> states = rejected is not null && rejected.TryGetValue(blocked, out var s) ? s : [];
                    return new SearchResult(SearchVerdict.NotLinearizable, blocked, states);
                }

                depth--;
                entry = stackEntry[depth];
                state = stackState[depth];
                var operation = operationOf[entry];
                linearized.Clear(operation);
                Unlift(entry, returnOf[operation], next, prev);
                if (!forced[depth])
                {
                    entry = next[entry];
                    break;
                }
            }
        }

        return SearchResult.Linearizable;
    }

    private static HashSet<int> Rejections(Dictionary<int, HashSet<int>> rejected, int operation)
    {
        if (!rejected.TryGetValue(operation, out var states))
        {
            states = [];
            rejected.Add(operation, states);
        }

        return states;
    }

    // Dancing links: a lifted entry keeps its own pointers, so Unlift (in reverse order) can put it back.
    private static void Lift(int call, int ret, int[] next, int[] prev)
    {
        next[prev[call]] = next[call];
        prev[next[call]] = prev[call];
        next[prev[ret]] = next[ret];
        if (next[ret] != Nil)
        {
            prev[next[ret]] = prev[ret];
        }
    }

    private static void Unlift(int call, int ret, int[] next, int[] prev)
    {
        next[prev[ret]] = ret;
        if (next[ret] != Nil)
        {
            prev[next[ret]] = ret;
        }

        next[prev[call]] = call;
        prev[next[call]] = call;
    }
}
