using DiMint.Grains.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DiMint.Silo.Hosting;

/// <summary>
/// Replaces Orleans' fatal error handler, which ends the process (<c>Environment.FailFast</c>) when the silo finds itself
/// declared dead or its membership breaks: the range copies would die with it although nothing is wrong with them (a
/// pause or a partition long enough for the other silos to vote this one out). Instead the master copies stop serving
/// (a promotion decides who serves them next) and this runtime stops; the program starts a new one in the same process,
/// with the same copies (<see cref="SiloProcessState"/>).
/// </summary>
internal sealed partial class RestartOnFatalError(
    SiloProcessState state,
    RuntimeRestart restart,
    IHostApplicationLifetime lifetime,
    ILogger<RestartOnFatalError> logger) : IFatalErrorHandler
{
    public bool IsUnexpected(Exception exception) => true;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        if (!restart.Request(context ?? exception?.Message ?? "a fatal error"))
        {
            return;
        }

        state.FreezeMasters();
        LogRestarting(logger, exception, sender?.GetType().Name ?? "Orleans", context ?? "", state.Copies);
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The silo's runtime stops after a fatal error from {Sender} ({Context}); it starts again in this process, keeping its {Copies} range copies")]
    private static partial void LogRestarting(ILogger logger, Exception? exception, string sender, string context, int copies);
}
