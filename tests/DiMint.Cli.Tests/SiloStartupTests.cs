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
}
