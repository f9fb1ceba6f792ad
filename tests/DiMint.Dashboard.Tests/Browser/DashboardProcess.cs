using DiMint.Testing.Processes;

namespace DiMint.Dashboard.Tests.Browser;

/// <summary>The dashboard running as its own process (<c>dotnet DiMint.Dashboard.dll</c>), as <c>dimint up</c> starts it.</summary>
internal sealed class DashboardProcess : IAsyncDisposable
{
    private const string ReadyPrefix = "DiMint dashboard: ";
    private readonly DotnetProcess _process;

    private DashboardProcess(DotnetProcess process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public string Output => _process.Output;

    /// <summary>Starts the dashboard on a free port and waits until it prints its URL.</summary>
    public static async Task<DashboardProcess> StartAsync(params string[] args)
    {
        var (process, line) = await DotnetProcess.StartAsync("DiMint.Dashboard.dll", ReadyPrefix, TimeSpan.FromSeconds(60), ["--port", "0", .. args]);
        return new DashboardProcess(process, new Uri(line[(line.IndexOf(ReadyPrefix, StringComparison.Ordinal) + ReadyPrefix.Length)..].Trim()));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
