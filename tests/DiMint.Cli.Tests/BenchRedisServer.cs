using System.Diagnostics;
using System.Globalization;
using DiMint.Testing;
using StackExchange.Redis;

namespace DiMint.Cli.Tests;

/// <summary>
/// A real standalone redis-server (Debian's package; test.sh installs it) on a free loopback port, without persistence,
/// in a folder of its own; killed and removed on dispose.
/// </summary>
public sealed class BenchRedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private BenchRedisServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Endpoint = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
    }

    /// <summary>host:port of the server.</summary>
    public string Endpoint { get; }

    public static async Task<BenchRedisServer> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("dimint-bench-redis-").FullName;
        var port = FreePorts.Pick(1)[0];
        var start = new ProcessStartInfo("redis-server", [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--daemonize", "no", "--logfile", Path.Combine(directory, "redis.log"),
        ])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed; ./test.sh installs it (apt-get install redis-server).", ex);
        }

        var server = new BenchRedisServer(process, directory, port);
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    Assert.False(process.HasExited, $"redis-server exited; see {directory}/redis.log");
                    await using var connection = await server.ConnectAsync();
                    return connection.IsConnected;
                },
                TimeSpan.FromSeconds(20),
                $"redis-server answering on {server.Endpoint}",
                TimeSpan.FromMilliseconds(50));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of the server, as an application would connect.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { Endpoint }, ConnectTimeout = 2000 });

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
