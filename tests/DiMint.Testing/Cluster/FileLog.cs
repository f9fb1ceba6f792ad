using Microsoft.Extensions.Logging;

namespace DiMint.Testing.Cluster;

/// <summary>
/// Writes the log of in-process test silos to one file, each line with the time and the silo's name, when
/// <c>DIMINT_TEST_LOG</c> names it (DiMint's own lines from Information, everyone's warnings and errors): the silo
/// processes of the process tests keep their logs with <c>DIMINT_KEEP_TEST_LOGS</c>; in-process silos log nowhere else.
/// </summary>
internal sealed class FileLog(string path, string silo) : ILoggerProvider
{
    /// <summary>The environment variable that turns it on.</summary>
    public const string Variable = "DIMINT_TEST_LOG";

    private static readonly Lock Sync = new();

    public ILogger CreateLogger(string categoryName) => new Logger(path, silo, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string path, string silo, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning || (logLevel >= LogLevel.Information && category.StartsWith("DiMint", StringComparison.Ordinal));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {silo} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : $" {exception.GetType().Name}: {exception.Message}")}\n";
            lock (Sync)
            {
                File.AppendAllText(path, line);
            }
        }
    }
}
