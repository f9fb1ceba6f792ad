namespace DiMint.Silo.Hosting;

/// <summary>
/// Whether the silo's Orleans runtime stopped to be started again in the same process (see <see cref="RestartOnFatalError"/>),
/// and why.
/// </summary>
internal sealed class RuntimeRestart
{
    private string? _reason;

    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Records the reason; false when a restart was requested already.</summary>
    public bool Request(string reason) => Interlocked.CompareExchange(ref _reason, reason, null) is null;
}
