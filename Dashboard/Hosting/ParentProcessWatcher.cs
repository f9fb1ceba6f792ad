using System.Diagnostics;

namespace DiMint.Dashboard.Hosting;

/// <summary>Stops the dashboard when the process that started it is gone, so it never outlives <c>dimint up</c>.</summary>
internal sealed partial class ParentProcessWatcher(
    DashboardHostOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ParentProcessId is not { } pid)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!IsAlive(pid))
            {
                LogParentGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsAlive(int pid)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {ProcessId} is gone; stopping the dashboard")]
    private static partial void LogParentGone(ILogger logger, int processId);
}
