namespace DiMint.Cli;

/// <summary>The admin console's exit codes, as documented in <c>dimint --help</c>.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int KeyNotFound = 1;

    /// <summary>A ring operation was rolled back: the ring is as before.</summary>
    public const int RolledBack = 1;

    public const int BadInput = 2;
    public const int ClusterError = 3;

    /// <summary>The cluster refused the console: its secret is wrong or missing.</summary>
    public const int Unauthorized = 4;
}
