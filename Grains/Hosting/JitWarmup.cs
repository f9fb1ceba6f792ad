using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace DiMint.Grains.Hosting;

/// <summary>
/// Compiles DiMint's own code once a silo is up, on a background thread, so that the first failover a silo takes part
/// in does not wait for the JIT. The code that promotes, fences and publishes (on a standby that just took the overlord
/// over) and the code of a new master (on a silo that never mastered a range) otherwise ran for the first time in the
/// middle of a failover: measured, the first promotion of a process took 300-460 ms against 40-90 ms for the next ones.
/// </summary>
internal sealed partial class JitWarmup(ILogger<JitWarmup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The assemblies compiled: the grains and their interfaces (with the serializers generated for them).</summary>
    private static readonly Assembly[] Assemblies = [typeof(JitWarmup).Assembly, typeof(IOverlordGrain).Assembly];

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JitWarmup), ServiceLifecycleStage.Active, Start);

    private Task Start(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "DiMint JIT warm-up", Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return Task.CompletedTask;
    }

    private void Run()
    {
        var started = Stopwatch.GetTimestamp();
        var compiled = 0;
        foreach (var assembly in Assemblies)
        {
            foreach (var type in Types(assembly))
            {
                if (type.ContainsGenericParameters)
                {
                    continue;
                }

                const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                {
                    if (method.IsAbstract || method.ContainsGenericParameters || (method.MethodImplementationFlags & MethodImplAttributes.InternalCall) != 0)
                    {
                        continue;
                    }

                    try
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                        compiled++;
                    }
                    catch (Exception ex) when (ex is ArgumentException or NotSupportedException or InvalidOperationException or TypeLoadException or BadImageFormatException or MissingMethodException)
                    {
                        // Not compilable on its own (a P/Invoke stub, a type that cannot load here): it compiles on first call.
                    }
                }
            }
        }

        LogWarmedUp(logger, compiled, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static Type[] Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return [.. ex.Types.OfType<Type>()];
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compiled {Methods} methods ahead of their first call in {Milliseconds:0} ms")]
    private static partial void LogWarmedUp(ILogger logger, int methods, double milliseconds);
}
