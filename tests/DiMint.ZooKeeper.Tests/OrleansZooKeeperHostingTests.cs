using System.Net;
using DiMint.Testing;
using DiMint.Testing.ZooKeeper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace DiMint.ZooKeeper.Tests;

/// <summary>A real silo and client wired through the registration extensions, against a real ZooKeeper.</summary>
[Collection(StandaloneZooKeeperCollection.Name)]
[Trait("Category", "Process")]
public sealed class OrleansZooKeeperHostingTests
{
    private readonly ZooKeeperStandaloneFixture _zooKeeper;

    public OrleansZooKeeperHostingTests(ZooKeeperStandaloneFixture zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    [Fact]
    public async Task SiloJoinsThroughZooKeeper_ClientFindsItsGateway_AndStorageIsRegistered()
    {
        var clusterId = "hosting-" + Guid.NewGuid().ToString("N")[..8];
        var ports = FreePorts.Pick(2);
        using var silo = new HostBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(builder => builder
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, "dimint"))
                .ConfigureEndpoints(IPAddress.Loopback, ports[0], ports[1])
                .UseDiMintZooKeeperClustering(o => o.ConnectionString = _zooKeeper.ConnectionString)
                .AddDiMintZooKeeperGrainStorage("ring", o => o.ConnectionString = _zooKeeper.ConnectionString))
            .Build();
        await silo.StartAsync();
        try
        {
            var table = silo.Services.GetRequiredService<IMembershipTable>();
            Assert.IsType<ZooKeeperMembershipTable>(table);
            var data = await table.ReadAllAsync();
            var (row, _) = Assert.Single(data.Members);
            Assert.Equal(SiloStatus.Active, row.Status);
            Assert.Equal(ports[1], row.ProxyPort);

            using var client = new HostBuilder()
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .UseOrleansClient(builder => builder
                    .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, "dimint"))
                    .UseDiMintZooKeeperClustering(o => o.ConnectionString = _zooKeeper.ConnectionString))
                .Build();
            await client.StartAsync();
            var gateways = await client.Services.GetRequiredService<Orleans.Messaging.IGatewayListProvider>().GetGatewaysAsync();
            Assert.Equal(ports[1], Assert.Single(gateways).Port);
            await client.StopAsync();

            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>("ring");
            var state = new GrainState<string>("published ring v1");
            var grainId = GrainId.Create("overlord", "0");
            await storage.WriteStateAsync("ring", grainId, state);
            var read = new GrainState<string>();
            await storage.ReadStateAsync("ring", grainId, read);
            Assert.Equal("published ring v1", read.State);
            Assert.Equal("0", read.ETag);
        }
        finally
        {
            await silo.StopAsync();
        }
    }
}
