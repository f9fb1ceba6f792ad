using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DiMint.Hosting;

/// <summary>
/// Stops the program (a silo, the dashboard) when the process that started it is gone, so nothing <c>dimint up</c>
/// started outlives it, even after a <c>kill -9</c>. Source shared by the Silo and Dashboard projects.
/// </summary>
internal sealed partial class ParentProcessWatcher(
    ParentProcess parent,
    IHostApplicationLifetime lifetime,
    ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (parent.ProcessId is not { } pid)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!ParentProcess.IsRunning(pid))
            {
                LogParentGone(logger, pid, parent.Role);
                lifetime.StopApplication();
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {ProcessId} is gone; stopping the {Role}")]
    private static partial void LogParentGone(ILogger logger, int processId, string role);
}
