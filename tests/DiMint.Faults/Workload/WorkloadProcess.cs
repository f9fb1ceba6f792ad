using DiMint.Faults.Lab;
using DiMint.Testing.Processes;

namespace DiMint.Faults.Workload;

/// <summary>A <see cref="WorkloadClient"/> running on a lab host: stopped by a line on its input, it reads back and exits.</summary>
public sealed class WorkloadProcess(LabHost host, DotnetProcess process, string historyFile) : IAsyncDisposable
{
    public LabHost Host { get; } = host;

    public string HistoryFile { get; } = historyFile;

    /// <summary>Stops the load, lets the client read every key back (its final reads), and waits until it exits.</summary>
    public async Task FinishAsync(TimeSpan timeout)
    {
        await process.SendLineAsync(WorkloadClient.StopCommand);
        var exitCode = await process.WaitForExitAsync(timeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The workload client on {Host} exited with {exitCode}:\n{Tail(process.Output)}");
        }
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private static string Tail(string output) => output.Length > 4000 ? output[^4000..] : output;
}
