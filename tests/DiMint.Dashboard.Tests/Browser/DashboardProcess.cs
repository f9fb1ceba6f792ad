using System.Diagnostics;
using System.Text;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>The dashboard running as its own process (<c>dotnet DiMint.Dashboard.dll</c>), as <c>dimint up</c> starts it.</summary>
internal sealed class DashboardProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DashboardProcess(Process process) => _process = process;

    public Uri Url { get; private set; } = null!;

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

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "DiMint.Dashboard.dll");

    /// <summary>Starts the dashboard on a free port and waits until it prints its URL.</summary>
    public static async Task<DashboardProcess> StartAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [Dll, "--port", "0", "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var dashboard = new DashboardProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        dashboard._process.OutputDataReceived += (_, e) => dashboard.OnLine(e.Data);
        dashboard._process.ErrorDataReceived += (_, e) => dashboard.OnLine(e.Data);
        dashboard._process.Exited += (_, _) => dashboard._listening.TrySetException(new InvalidOperationException($"The dashboard exited early:\n{dashboard.Output}"));
        dashboard._process.Start();
        dashboard._process.BeginOutputReadLine();
        dashboard._process.BeginErrorReadLine();
        try
        {
            dashboard.Url = await dashboard._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await dashboard.DisposeAsync();
            throw;
        }

        return dashboard;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

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

        const string Prefix = "DiMint dashboard: ";
        if (line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            _listening.TrySetResult(new Uri(line[Prefix.Length..].Trim()));
        }
    }
}
