using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DiMint.Testing.Processes;

/// <summary>
/// A DiMint program (<c>dotnet X.dll</c> from the test's output folder) started by a test: its output is kept, and it
/// is ready when it prints a line containing a marker. It gets <c>--parent-pid</c>, so it never outlives the test run.
/// </summary>
public sealed class DotnetProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _readyMarker;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter? _log;

    private DotnetProcess(Process process, string readyMarker, string? logFile)
    {
        _process = process;
        _readyMarker = readyMarker;
        _log = logFile is null ? null : new StreamWriter(logFile, append: true) { AutoFlush = true };
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="dll"/> with <paramref name="args"/> and returns it with the line that said it was ready.</summary>
    public static Task<(DotnetProcess Process, string ReadyLine)> StartAsync(string dll, string readyMarker, TimeSpan timeout, params string[] args) =>
        StartAsync(dll, readyMarker, timeout, launcher: [], logFile: null, args);

    /// <summary>
    /// Starts <paramref name="dll"/> under <paramref name="launcher"/> (for example <c>ip netns exec NAME</c>, which execs
    /// into dotnet, so the process id is dotnet's), appending its output to <paramref name="logFile"/> when given.
    /// </summary>
    public static async Task<(DotnetProcess Process, string ReadyLine)> StartAsync(
        string dll, string readyMarker, TimeSpan timeout, IReadOnlyList<string> launcher, string? logFile, params string[] args)
    {
        string[] command = [
            .. launcher,
            "dotnet",
            Path.Combine(AppContext.BaseDirectory, dll),
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. args,
        ];
        var info = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = new DotnetProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, readyMarker, logFile);
        process._process.OutputDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.ErrorDataReceived += (_, e) => process.OnLine(e.Data);
        process._process.Exited += (_, _) => process._ready.TrySetException(new InvalidOperationException($"{dll} exited before it was ready:\n{process.Output}"));
        process._process.Start();
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        try
        {
            return (process, await process._ready.Task.WaitAsync(timeout));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process with SIGKILL: no shutdown, connections reset.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Asks the process to shut down (SIGTERM) and waits for it.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
    }

    /// <summary>Writes a line to the process's standard input (a command to a program that reads them).</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until the process prints a line containing <paramref name="marker"/> (or has printed one).</summary>
    public async Task<string> WaitForLineAsync(string marker, TimeSpan timeout)
    {
        string? found = null;
        await Wait.UntilAsync(
            () => (found = FindLine(marker)) is not null
                || (_process.HasExited ? throw new InvalidOperationException($"The process exited before printing '{marker}':\n{Output}") : false),
            timeout,
            $"'{marker}' from process {ProcessId}");
        return found!;
    }

    private string? FindLine(string marker)
    {
        var output = Output;
        var at = output.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var start = output.LastIndexOf('\n', at) + 1;
        var end = output.IndexOf('\n', at);
        return output[start..(end < 0 ? output.Length : end)].TrimEnd('\r');
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        lock (_output)
        {
            _log?.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            _log?.WriteLine(line);
        }

        if (line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }
    }
}
