using System.Diagnostics;
using System.Globalization;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;
using DiMint.ZooKeeper.Server;

namespace DiMint.Cli.Tests;

/// <summary>A data center restarting in any order comes back on its own: a silo started before ZooKeeper waits for it.</summary>
[Trait("Category", "Process")]
public sealed class SiloStartupTests
{
    [Fact]
    public async Task Silo_StartedBeforeZooKeeper_KeepsTryingWithOneLinePerAttempt_AndServesOnceZooKeeperIsUp()
    {
        var zooKeeperPort = FreePorts.Block(1);
        var zooKeeper = $"127.0.0.1:{zooKeeperPort}";
        var siloPort = FreePorts.Block(1);
        var gatewayPort = FreePorts.Block(1);
        var (silo, firstAttempt) = await DotnetProcess.StartAsync(
            "DiMint.Silo.dll",
            "could not join the cluster",
            TimeSpan.FromSeconds(90),
            ["--zookeeper", zooKeeper, "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture)]);
        var directory = Directory.CreateTempSubdirectory("dimint-zk-late-").FullName;
        try
        {
            await using (silo)
            {
                Assert.Contains("(attempt 1)", firstAttempt, StringComparison.Ordinal);
                await silo.WaitForLineAsync("(attempt 2)", TimeSpan.FromSeconds(90));
                Assert.False(silo.HasExited);
                Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);

                await using var server = new ZooKeeperServerProcess(1, zooKeeperPort, directory, quorum: null);
                await server.StartAsync(TimeSpan.FromSeconds(60));
                await silo.WaitForLineAsync("DiMint silo ready", TimeSpan.FromSeconds(90));

                await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { ZooKeeper = zooKeeper, ConnectTimeout = TimeSpan.FromSeconds(60) });
                await client.SetAsync("late-zookeeper", "joined");
                Assert.Equal("joined", await client.GetAsync<string>("late-zookeeper"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Silo_WaitingForZooKeeper_StopsTrying_WhenTheProcessThatStartedItIsGone()
    {
        using var parent = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var (silo, _) = await DotnetProcess.StartAsync(
            "DiMint.Silo.dll",
            "could not join the cluster",
            TimeSpan.FromSeconds(90),
            [
                "--zookeeper", $"127.0.0.1:{FreePorts.Block(1)}",
                "--silo-port", FreePorts.Block(1).ToString(CultureInfo.InvariantCulture),
                "--gateway-port", FreePorts.Block(1).ToString(CultureInfo.InvariantCulture),
                "--parent-pid", parent.Id.ToString(CultureInfo.InvariantCulture),
            ]);
        await using (silo)
        {
            parent.Kill();
            await parent.WaitForExitAsync();

            // The next failed attempt (ZooKeeper's connect timeout, then at most the backoff) ends it.
            Assert.Equal(1, await silo.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            Assert.Contains($"parent process {parent.Id} is gone", silo.Output, StringComparison.Ordinal);
        }
    }
}
