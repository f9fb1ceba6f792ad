using System.Text.Json;
using DiMint.Client;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// One <c>dimint up</c> cluster of four silos (two ranges each, so every range has a silo that holds no copy of it) with
/// keys in every range, shared by the rebalancing command tests.
/// </summary>
public sealed class RebalanceClusterFixture : IAsyncLifetime
{
    public const int Silos = 4;

    public LocalClusterProcess Cluster { get; private set; } = null!;

    public DimintClient Client { get; private set; } = null!;

    public DimintCli Cli => Cluster.Cli;

    /// <summary>The keys written at the start; every one must read back after any operation.</summary>
    public Dictionary<string, object> Entries { get; } = Enumerable.Range(0, 2000).ToDictionary(i => $"rebalance:{i}", i => (object)$"value {i} {new string('x', 200)}");

    public async Task InitializeAsync()
    {
        Cluster = await LocalClusterProcess.StartAsync(Silos, "--ranges-per-silo", "2");
        Client = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = Cluster.Gateways });
        await Client.SetManyAsync(Entries);
    }

    /// <summary>Runs <c>dimint ARGS --json</c> (or any command printing JSON) and parses what it printed; fails on a non-zero exit.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = await Cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement;
    }

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
