using System.Diagnostics;

namespace DiMint.Hosting;

/// <summary>The process whose exit ends this one (<c>--parent-pid</c>), if any; source shared by Silo, Dashboard and Cli.</summary>
/// <param name="ProcessId">The parent's pid, or null when the program runs on its own.</param>
/// <param name="Role">What this program is, for the log ("silo", "dashboard").</param>
internal sealed record ParentProcess(int? ProcessId, string Role)
{
    /// <summary>Whether a process with this pid is running.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
