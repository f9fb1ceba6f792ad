using System.Diagnostics;

namespace DiMint.Faults.Lab;

/// <summary>Runs the system commands the lab is built with (<c>ip</c>, <c>kill</c>) and fails loudly when one fails.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="program"/> and returns its output; throws with its error output when it exits non-zero.</summary>
    public static string Run(string program, IEnumerable<string> arguments, string? input = null)
    {
        var (exitCode, output, error) = TryRun(program, arguments, input);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' failed ({exitCode}): {error.Trim()}{output.Trim()}");
        }

        return output;
    }

    /// <summary>Runs <paramref name="program"/> and returns its exit code and output, whatever they are.</summary>
    public static (int ExitCode, string Output, string Error) TryRun(string program, IEnumerable<string> arguments, string? input = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Sends <paramref name="signal"/> (STOP, CONT, KILL) to a process.</summary>
    public static void Signal(int processId, string signal) =>
        Run("kill", [$"-{signal}", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
}
