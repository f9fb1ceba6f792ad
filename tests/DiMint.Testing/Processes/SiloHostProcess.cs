using System.Globalization;

namespace DiMint.Testing.Processes;

/// <summary>One <c>DiMint.Silo</c> process started by a test (outside <c>dimint up</c>), on free ports.</summary>
public sealed class SiloHostProcess : IAsyncDisposable
{
    private readonly DotnetProcess _process;

    private SiloHostProcess(DotnetProcess process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public string Gateway => $"127.0.0.1:{GatewayPort}";

    public int ProcessId => _process.ProcessId;

    public string Output => _process.Output;

    /// <summary>Starts a silo with <paramref name="args"/> (for example <c>--zookeeper ...</c>) and waits until it serves.</summary>
    public static Task<SiloHostProcess> StartAsync(params string[] args) => StartAsync(primary: false, args);

    /// <summary>
    /// Starts a silo with <paramref name="args"/> and waits until it serves; with <paramref name="primary"/>, as a
    /// one-silo cluster of its own (the primary of the embedded clustering is itself).
    /// </summary>
    public static async Task<SiloHostProcess> StartAsync(bool primary, params string[] args)
    {
        var siloPort = FreePorts.Block(1);
        var gatewayPort = FreePorts.Block(1);
        var (process, _) = await DotnetProcess.StartAsync(
            "DiMint.Silo.dll",
            "DiMint silo ready",
            TimeSpan.FromSeconds(90),
            [
                "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                .. primary ? new[] { "--primary", $"127.0.0.1:{siloPort.ToString(CultureInfo.InvariantCulture)}" } : [],
                .. args,
            ]);
        return new SiloHostProcess(process, siloPort, gatewayPort);
    }

    /// <summary>Kills the silo with SIGKILL: no shutdown, connections reset.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>Asks the silo to shut down (SIGTERM) and waits for it.</summary>
    public Task StopAsync(TimeSpan timeout) => _process.StopAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
