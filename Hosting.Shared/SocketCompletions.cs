namespace DiMint.Hosting;

/// <summary>Where socket continuations run, and on how many threads; source shared by Silo and Cli.</summary>
internal static class SocketCompletions
{
    /// <summary>The .NET runtime's switch, read once, when the process first uses an asynchronous socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The .NET runtime's count of socket engine threads (epoll loops), read at the same time.</summary>
    public const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Cores per socket engine thread when this process chooses the count.</summary>
    public const int CoresPerEngine = 4;

    /// <summary>
    /// Runs socket continuations on the socket engine's own threads instead of handing each to a thread-pool worker: a
    /// frame's request is decoded and answered, or its reply delivered to the caller, on the thread that read it, which
    /// saves a thread wake-up per frame. DiMint's handlers never block there (writes are queued to the range grains).
    /// <para>
    /// With inline continuations .NET runs one engine thread per core; this keeps one per <see cref="CoresPerEngine"/>
    /// cores (at least one). Each engine thread then serves more connections and finds more ready at each wake-up:
    /// fewer wake-ups per frame, which on a loaded machine is most of a frame's cost (docs/architecture.md, The fast
    /// path). An explicit setting of either variable in the environment wins (<c>0</c> turns inlining off). Call before
    /// anything opens a socket.
    /// </para>
    /// </summary>
    public static void PreferInline()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ThreadCountVariable)))
        {
            Environment.SetEnvironmentVariable(ThreadCountVariable, EngineThreads(Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Socket engine threads for a machine of <paramref name="cores"/> cores.</summary>
    public static int EngineThreads(int cores) => Math.Max(1, cores / CoresPerEngine);
}
