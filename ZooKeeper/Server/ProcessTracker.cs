using System.Diagnostics;

namespace DiMint.ZooKeeper.Server;

/// <summary>Kills the server processes still running when this process exits, so none outlive it.</summary>
internal static class ProcessTracker
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<Process> Processes = [];
    private static bool _hooked;

    public static void Track(Process process)
    {
        lock (Gate)
        {
            Processes.Add(process);
            if (!_hooked)
            {
                _hooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
            }
        }
    }

    public static void Untrack(Process process)
    {
        lock (Gate)
        {
            Processes.Remove(process);
        }
    }

    private static void KillAll()
    {
        Process[] running;
        lock (Gate)
        {
            running = [.. Processes];
            Processes.Clear();
        }

        foreach (var process in running)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }
}
