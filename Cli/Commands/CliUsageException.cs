namespace DiMint.Cli.Commands;

/// <summary>Bad input on the command line: reported with exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
