using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DiMint.Cli.LocalCluster;

/// <summary>One silo process started by <c>dimint up</c>, its output going to a log file.</summary>
internal sealed partial class SiloProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(int index, int siloPort, int gatewayPort, Process process, StreamWriter log, string logPath)
    {
        Index = index;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public int Index { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the silo logs that it serves; faults when the process exits first.</summary>
    public Task Ready => _ready.Task;

    public Task Exited => _process.WaitForExitAsync();

    public static SiloProcess Start(int index, int siloPort, int gatewayPort, int primaryPort, IEnumerable<string> extraArgs, string logDirectory)
    {
        var siloDll = Path.Combine(AppContext.BaseDirectory, "DiMint.Silo.dll");
        if (!File.Exists(siloDll))
        {
            throw new FileNotFoundException($"The silo program is missing next to dimint: {siloDll}. Build the solution first.");
        }

        var start = new ProcessStartInfo(DotnetHost(), [
            siloDll,
            "--silo-port", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--primary", $"127.0.0.1:{primaryPort}",
            "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. extraArgs,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"silo-{index}.log");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(index, siloPort, gatewayPort, process, log, logPath);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        // Runs on a pool thread, possibly after Dispose: it must not touch the Process object (an exception here ends dimint).
        process.Exited += (_, _) => silo._ready.TrySetException(new InvalidOperationException(
            $"Silo {index} exited before it was ready; see {logPath}."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Asks the silo to shut down gracefully (SIGTERM), then kills it if it has not exited in time.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The process is being torn down.
            }
        }

        if (line.Contains("DiMint silo ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
