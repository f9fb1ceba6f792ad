namespace DiMint.Testing.Processes;

/// <summary>What a <c>dimint</c> command printed and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}
