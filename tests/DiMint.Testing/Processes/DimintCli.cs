using System.Diagnostics;

namespace DiMint.Testing.Processes;

/// <summary>Runs the <c>dimint</c> admin console as a separate process, as a user would.</summary>
public sealed class DimintCli(string home)
{
    /// <summary>The <c>DIMINT_HOME</c> the commands share (where <c>dimint up</c> records its cluster).</summary>
    public string Home { get; } = home;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "dimint.dll");

    /// <summary>Environment variables for the commands (and the silos <c>dimint up</c> starts), e.g. <c>DiMint__Replication__ReplicationFactor</c>.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", [Dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment["DIMINT_HOME"] = Home;
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>Runs a command to completion (one minute at most).</summary>
    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dimint {string.Join(' ', args)} did not finish in a minute.");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
