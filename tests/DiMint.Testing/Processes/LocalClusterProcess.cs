using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using DiMint.Testing;

namespace DiMint.Testing.Processes;

/// <summary>
/// <c>dimint up</c> running in the background: real silo processes on free ports, with their own <c>DIMINT_HOME</c>.
/// </summary>
public sealed partial class LocalClusterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalClusterProcess(DimintCli cli, Process process)
    {
        Cli = cli;
        _process = process;
    }

    public DimintCli Cli { get; }

    public int ProcessId => _process.Id;

    public string[] Gateways { get; private set; } = [];

    /// <summary>The first silo's Redis-protocol port (the others count up), or null when started with <c>--no-resp</c>.</summary>
    public int? RespPort { get; private init; }

    public int[] SiloProcessIds { get; private set; } = [];

    /// <summary>The file holding the secret <c>dimint up</c> made for the cluster, which every client must prove.</summary>
    public string? SecretFile { get; private set; }

    /// <summary>The silos' "listens on" lines, as <c>dimint up</c> printed them.</summary>
    public List<string> Listening { get; } = [];

    /// <summary>Options for a client of this cluster: its gateways and its secret.</summary>
    public DiMint.Client.DimintClientOptions ClientOptions() => new() { Gateways = Gateways, ClusterSecretFile = SecretFile };

    /// <summary>The dashboard's URL, when the cluster was started with one (<c>--dashboard-port</c>).</summary>
    public string? DashboardUrl { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What every silo's log holds so far (read while the silos still write them).</summary>
    public string SiloLogs() => string.Concat(
        Directory.GetFiles(Path.Combine(Cli.Home, "logs"), "silo-*.log").Order(StringComparer.Ordinal).Select(static path =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }));

    /// <summary>
    /// Waits until a silo's log says <paramref name="text"/>: a silo's console logger writes from its own queue, so a line
    /// may reach the file after what it reports was seen.
    /// </summary>
    public Task WaitForSiloLogAsync(string text, TimeSpan timeout) =>
        Wait.UntilAsync(() => SiloLogs().Contains(text, StringComparison.Ordinal), timeout, $"a silo's log to say \"{text}\"");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <c>dimint up</c> and waits until it reports the cluster serving. Without a <c>--dashboard-port</c> among
    /// <paramref name="extraArgs"/>, no dashboard is started.
    /// </summary>
    public static Task<LocalClusterProcess> StartAsync(int silos, params string[] extraArgs) =>
        StartAsync(silos, new Dictionary<string, string>(), extraArgs);

    /// <summary>
    /// Starts <c>dimint up</c> with <paramref name="environment"/> (which its silos inherit: <c>DiMint__...</c> settings)
    /// and waits until it reports the cluster serving.
    /// </summary>
    public static async Task<LocalClusterProcess> StartAsync(int silos, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        if (!extraArgs.Contains("--dashboard-port"))
        {
            extraArgs = [.. extraArgs, "--no-dashboard"];
        }

        var home = Directory.CreateTempSubdirectory("dimint-test-").FullName;
        var cli = new DimintCli(home);
        foreach (var (name, value) in environment)
        {
            cli.Environment[name] = value;
        }
        var siloPort = FreePorts.Block(silos);
        var gatewayPort = FreePorts.Block(silos);
        int? respPort = extraArgs.Contains("--no-resp") ? null : FreePorts.Block(silos);
        var process = Process.Start(cli.StartInfo([
            "up", "--silos", silos.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--silo-port", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. respPort is { } resp ? new[] { "--resp-port", resp.ToString(System.Globalization.CultureInfo.InvariantCulture) } : [],
            .. extraArgs,
        ]))!;
        var cluster = new LocalClusterProcess(cli, process) { RespPort = respPort };
        process.OutputDataReceived += (_, e) => cluster.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => cluster.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => cluster._ready.TrySetException(new InvalidOperationException($"dimint up exited early:\n{cluster.Output}"));
        try
        {
            await cluster._ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Sends SIGTERM to <c>dimint up</c> (as Ctrl+C or a service manager would) and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Kills <c>dimint up</c> with SIGKILL: it gets no chance to stop its silos.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(40));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        foreach (var pid in SiloProcessIds.Where(IsRunning))
        {
            try
            {
                using var silo = Process.GetProcessById(pid);
                silo.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        _process.Dispose();
        try
        {
            if (Environment.GetEnvironmentVariable("DIMINT_KEEP_TEST_LOGS") is null) { Directory.Delete(Cli.Home, recursive: true); }
        }
        catch (IOException)
        {
            // Logs still open; the temp folder is cleaned by the OS.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("Gateways: ", StringComparison.Ordinal))
        {
            Gateways = line["Gateways: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        else if (line.StartsWith("Silo pids: ", StringComparison.Ordinal))
        {
            SiloProcessIds = PidList().Matches(line).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        else if (line.StartsWith("Cluster secret: ", StringComparison.Ordinal))
        {
            SecretFile = line["Cluster secret: ".Length..].Split(' ')[0];
        }
        else if (line.StartsWith("Silo ", StringComparison.Ordinal) && line.Contains(" listens on: ", StringComparison.Ordinal))
        {
            Listening.Add(line);
        }
        else if (line.StartsWith("Dashboard: ", StringComparison.Ordinal))
        {
            DashboardUrl = line["Dashboard: ".Length..].Trim();
        }
        else if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex PidList();
}
