using System.Text.Json;
using DiMint.Client;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// One <c>dimint up</c> cluster of five silos, two ranges each, with keys in every range, shared by the rebalancing
/// command tests. With three copies of each range, every range has a silo holding no copy of it, even after a drain.
/// </summary>
public sealed class RebalanceClusterFixture : IAsyncLifetime
{
    public const int Silos = 5;

    private const string AutoBalanceVariable = "DiMint__Rebalance__AutoBalance";

    public LocalClusterProcess Cluster { get; private set; } = null!;

    public DimintClient Client { get; private set; } = null!;

    public DimintCli Cli => Cluster.Cli;

    /// <summary>The keys written at the start; every one must read back after any operation.</summary>
    public Dictionary<string, object> Entries { get; } = Enumerable.Range(0, 2000).ToDictionary(i => $"rebalance:{i}", i => (object)$"value {i} {new string('x', 200)}");

    public async Task InitializeAsync()
    {
        // The overlord's own balancing is off (the silos inherit this variable through 'dimint up'), so that the ring
        // changes only when a test asks: it would otherwise move a master back right after a test moved it. The test
        // classes of this assembly run one at a time, so no other cluster starts while it is set.
        Environment.SetEnvironmentVariable(AutoBalanceVariable, "false");
        try
        {
            Cluster = await LocalClusterProcess.StartAsync(Silos, "--ranges-per-silo", "2");
        }
        finally
        {
            Environment.SetEnvironmentVariable(AutoBalanceVariable, null);
        }

        Client = await DimintClient.ConnectAsync(Cluster.ClientOptions());
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
