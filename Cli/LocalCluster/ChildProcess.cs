using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DiMint.Cli.LocalCluster;

/// <summary>
/// A program started by <c>dimint up</c> (a silo, the dashboard) from a dll next to dimint, its output going to a log file.
/// It is ready when it prints a line containing its ready marker.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly string _readyMarker;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath, string readyMarker)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _readyMarker = readyMarker;
    }

    /// <summary>How dimint names it in messages ("silo 2", "dashboard").</summary>
    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The line that said the program was ready.</summary>
    public string? ReadyLine { get; private set; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the program prints its ready marker; faults when the process exits first.</summary>
    public Task Ready => _ready.Task;

    public Task Exited => _process.WaitForExitAsync();

    /// <summary>
    /// Starts <c>dotnet DLL ARGS</c> for a dll next to dimint, with <c>--parent-pid</c> so it stops if dimint dies, and
    /// <paramref name="environment"/> added to its environment (for secrets, which a command line would show to every user).
    /// </summary>
    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, string logPath, string readyMarker, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{dll} is missing next to dimint ({path}). Build the solution first.");
        }

        // Each child runs in a session of its own (setsid), so signals meant for dimint's process group
        // (a terminal's Ctrl+C) reach dimint alone, which then stops the children in order.
        var start = new ProcessStartInfo("setsid", [
            DotnetHost(),
            path,
            "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. args,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log, logPath, readyMarker);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        // Runs on a pool thread, possibly after Dispose: it must not touch the Process object (an exception here ends dimint).
        process.Exited += (_, _) => child._ready.TrySetException(new InvalidOperationException(
            $"The {name} exited before it was ready; see {logPath}."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Asks the program to shut down gracefully (SIGTERM), then kills it if it has not exited in time.</summary>
    /// <returns>Whether the program exited by itself within <paramref name="grace"/>.</returns>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return true;
        }

        if (Kill(_process.Id, SigTerm) != 0)
        {
            return _process.HasExited;
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return false;
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

        if (ReadyLine is null && line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            ReadyLine = line;
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
