namespace DiMint.Cli.Commands;

/// <summary>The overlord no longer knows an operation the console was following (it restarted): exit code 3.</summary>
internal sealed class OperationLostException(string message) : Exception(message);
