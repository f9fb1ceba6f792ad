using System.CommandLine;
using System.Globalization;
using DiMint.Grains.Hosting;
using DiMint.Grains.Overlord;
using DiMint.Grains.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Spectre.Console;

namespace DiMint.Cli.Commands;

/// <summary>
/// <c>dimint sim</c>: the overlord's planners run on a simulated cluster of any size, in this process (no silo, no
/// cluster): what each decision costs and moves, and how big the ring grows, at sizes no test cluster reaches.
/// </summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var silos = new Option<int>("--silos") { HelpName = "N", Description = "Silos in the simulated cluster.", DefaultValueFactory = _ => 200 };
        var ranges = new Option<int>("--ranges") { HelpName = "N", Description = "Ranges in its ring.", DefaultValueFactory = _ => 10_000 };
        var replicationFactor = new Option<int>("--replication-factor") { HelpName = "N", Description = "Copies of each range, master included.", DefaultValueFactory = _ => 3 };
        var rangeBytes = new Option<long>("--range-bytes") { HelpName = "BYTES", Description = "What each range holds (what a copy of it moves).", DefaultValueFactory = _ => 16L * 1024 * 1024 };
        var seed = new Option<int>("--seed") { HelpName = "N", Description = "Seeds the keys looked up.", DefaultValueFactory = _ => 1 };
        var command = new Command("sim", """
            Simulate the overlord's decisions on a cluster of --silos silos and --ranges ranges, in memory: the ring's
            size as stored (in ZooKeeper or the local cluster's files) and as sent to clients and silos, the ring work of
            one of the overlord's health rounds, one key's lookup in it, a balancing decision, a
            silo's death (promotions and repairs: operations, bytes to copy, time to decide) and a new silo's join (every
            balancing round until the policy is satisfied). Uses the rebalancing defaults (DiMint:Rebalance).
            """)
        {
            silos, ranges, replicationFactor, rangeBytes, seed,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(() =>
        {
            var settings = new SimulationSettings(
                (int)Check(parse.GetValue(silos), 2, 10_000, "--silos must be between 2 and 10,000."),
                (int)Check(parse.GetValue(ranges), 1, 1_000_000, "--ranges must be between 1 and 1,000,000."),
                (int)Check(parse.GetValue(replicationFactor), 1, 9, "--replication-factor must be between 1 and 9."),
                Check(parse.GetValue(rangeBytes), 0, 1L << 40, "--range-bytes must be between 0 and 2^40."),
                Seed: parse.GetValue(seed));
            using var host = SerializerHost();
            var storage = host.Services.GetRequiredService<IGrainStorageSerializer>();
            var wire = host.Services.GetRequiredService<Serializer<Ring>>();
            var report = RingSimulation.Run(
                settings,
                new RebalanceOptions(),
                ring => storage.Serialize(new RingState { Ring = ring }).ToArray().Length,
                ring => wire.SerializeToArray(ring).Length);
            Print(report);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    /// <summary>
    /// A silo host that is built but never started, for its serializers: Orleans' default for grain storage (JSON, the
    /// ring's form before <see cref="RingCodec"/>) and its wire serializer (how the ring travels to clients and silos).
    /// </summary>
    private static IHost SerializerHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo.UseLocalhostClustering());
        return builder.Build();
    }

    private static void Print(SimulationReport report)
    {
        var s = report.Settings;
        var table = new Table().AddColumn("measure").AddColumn("value");
        table.AddRow("cluster", $"{s.Silos} silos, {s.Ranges:N0} ranges, replication factor {s.ReplicationFactor}, {ConsoleText.Size(s.BytesPerRange)} per range");
        table.AddRow("ring created", Ms(report.Create));
        table.AddRow("ring as stored", $"{report.RingBytes:N0} bytes ({(double)report.RingBytes / s.Ranges:0.#} per range; ZooKeeper's default limit per znode is 1,048,576)");
        table.AddRow("the same ring as Orleans' JSON", report.JsonBytes is { } json ? $"{json:N0} bytes ({(double)json / s.Ranges:0.#} per range; how it was stored before)" : "-");
        table.AddRow("the same ring on the wire", report.WireBytes is { } wire ? $"{wire:N0} bytes ({(double)wire / s.Ranges:0.#} per range; Orleans' serializer: a ring watch's answer, a Moved answer)" : "-");
        table.AddRow("a health round's ring work", $"{Ms(report.HealthRound)} (silos named, repairs needed; ten rounds a second, now only when the ring or the live silos change)");
        table.AddRow(
            "a ring change sent as a delta",
            $"a split {report.Deltas.SplitBytes:N0} bytes (made in {Ms(report.Deltas.SplitElapsed)}); a silo's death, promotions and repairs together, {report.Deltas.DeathBytes:N0} bytes; sent instead of the whole ring to whoever holds the version before");
        table.AddRow("key lookup", $"{report.LookupNanoseconds:0} ns");
        table.AddRow("balancing decision, balanced ring", $"{Ms(report.Balance.Elapsed)}, {report.Balance.Operations} operations");
        table.AddRow("a silo dies: promotions", $"{report.Death.Operations} ranges promoted, decided in {Ms(report.Death.Elapsed)}");
        table.AddRow("a silo dies: repairs", $"{report.Repairs.Operations} copies to make, {ConsoleText.Size(report.Repairs.Bytes)} to copy, planned in {Ms(report.Repairs.Elapsed)}");
        table.AddRow(
            "a silo joins",
            $"{report.Join.Operations} operations in {report.JoinRounds} rounds, {ConsoleText.Size(report.Join.Bytes)} to copy; decisions {Ms(report.Join.Elapsed)} in all, the longest {Ms(report.SlowestRound)}");
        table.AddRow("the joined silo then holds", $"{report.JoinedMasters} masters and {report.JoinedReplicas} replicas (mean {report.MeanMasters:0.#} masters per silo)");
        ConsoleText.Render(table);
    }

    private static string Ms(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0.###} ms");

    private static long Check(long value, long min, long max, string message) =>
        value < min || value > max ? throw new CliUsageException(message) : value;
}
