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

    private DotnetProcess(Process process, string readyMarker)
    {
        _process = process;
        _readyMarker = readyMarker;
    }

    public int ProcessId => _process.Id;

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
    public static async Task<(DotnetProcess Process, string ReadyLine)> StartAsync(string dll, string readyMarker, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [
            Path.Combine(AppContext.BaseDirectory, dll),
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. args,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new DotnetProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, readyMarker);
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

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
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
        }

        if (line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }
    }
}
