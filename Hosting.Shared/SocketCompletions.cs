namespace DiMint.Hosting;

/// <summary>Where socket continuations run; source shared by Silo and Cli.</summary>
internal static class SocketCompletions
{
    /// <summary>The .NET runtime's switch, read once, when the process first uses an asynchronous socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Runs socket continuations on the socket engine's own threads (one per core) instead of handing each to a
    /// thread-pool worker: a frame's request is decoded and answered, or its reply delivered to the caller, on the
    /// thread that read it, which saves a thread wake-up per frame. DiMint's handlers never block there (writes are
    /// queued to the range grains). An explicit setting in the environment wins (<c>0</c> turns it off). Call before
    /// anything opens a socket.
    /// </summary>
    public static void PreferInline()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
