using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace DiMint.Cli.Commands;

/// <summary><c>status</c> and <c>ring</c>: what the cluster holds where.</summary>
internal static class ClusterCommands
{
    public static Command Status()
    {
        var command = new Command("status", "Show the cluster's silos: address, up or down, master and replica ranges, keys (in master copies), bytes, memory, and which silo leads as the overlord (the others stand by to take it over).") { CliOptions.Json };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var status = await client.GetClusterStatusAsync(ct);
            if (parse.GetValue(CliOptions.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(
                    status.Silos.Select(s => new
                    {
                        address = s.Address.ToString(),
                        up = s.IsUp,
                        membership = s.MembershipStatus,
                        masterRanges = s.MasterRanges,
                        replicaRanges = status.Ranges.Count(r => r.Range.Replicas.Contains(s.Address)),
                        keys = s.Keys,
                        bytes = s.Bytes,
                        memoryBytes = s.ProcessMemoryBytes,
                        gateway = s.Gateway,
                        pid = s.ProcessId,
                        overlord = OverlordRole(status, s.Address),
                    }),
                    ConsoleText.Json));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Silo", "Up", "Membership", "Overlord", "Masters", "Replicas", "Keys", "Bytes", "Memory", "Gateway", "PID");
            foreach (var silo in status.Silos)
            {
                table.AddRow(
                    Markup.Escape(silo.Address.ToString()),
                    silo.IsUp ? "[green]up[/]" : "[red]down[/]",
                    silo.MembershipStatus,
                    OverlordRole(status, silo.Address) ?? "-",
                    ConsoleText.Number(silo.MasterRanges),
                    ConsoleText.Number(status.Ranges.Count(r => r.Range.Replicas.Contains(silo.Address))),
                    ConsoleText.Number(silo.Keys),
                    ConsoleText.Size(silo.Bytes),
                    ConsoleText.Size(silo.ProcessMemoryBytes),
                    Markup.Escape(silo.Gateway ?? "-"),
                    silo.ProcessId == 0 ? "-" : ConsoleText.Number(silo.ProcessId));
            }

            ConsoleText.Render(table);
            Console.Out.WriteLine($"Ring version {status.RingVersion}: {status.Ranges.Length} ranges, {status.Silos.Count(s => s.IsUp)} of {status.Silos.Length} silos up, {ConsoleText.Number(status.Silos.Sum(s => s.Keys))} keys.");
            Console.Out.WriteLine($"Overlord: {status.Overlord?.ToString() ?? "none"} (term {status.OverlordTerm}), {status.OverlordStandbys.Length} standbys.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>"leader" for the silo the overlord runs on, "standby" for the silos that would take it over, else null.</summary>
    private static string? OverlordRole(ClusterStatus status, SiloAddress silo) =>
        silo.Equals(status.Overlord) ? "leader" : status.OverlordStandbys.Contains(silo) ? "standby" : null;

    public static Command Ring()
    {
        var command = new Command("ring", "Show the ring: each range's hash bounds, master and replica silos, epoch, keys, replication lag (writes the slowest replica is behind) and replicas in sync.") { CliOptions.Json };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var status = await client.GetClusterStatusAsync(ct);
            if (parse.GetValue(CliOptions.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        version = status.RingVersion,
                        ranges = status.Ranges.Select(r => new
                        {
                            id = r.Range.Id,
                            start = ConsoleText.Hex(r.Range.Start),
                            end = r.Range.End == 0 ? "2^64" : ConsoleText.Hex(r.Range.End),
                            master = r.Range.Master.ToString(),
                            replicas = r.Range.Replicas.Select(x => x.ToString()).ToArray(),
                            epoch = r.Range.Epoch,
                            keys = r.Keys,
                            bytes = r.Bytes,
                            writes = r.AppliedSeq,
                            replicaLag = r.ReplicaLag,
                            replicasInSync = r.ReplicasInSync,
                        }),
                    },
                    ConsoleText.Json));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Range", "Start", "End", "Master", "Replicas", "Epoch", "Keys", "Bytes", "Lag", "In sync");
            foreach (var r in status.Ranges)
            {
                table.AddRow(
                    ConsoleText.Number(r.Range.Id),
                    ConsoleText.Hex(r.Range.Start),
                    r.Range.End == 0 ? "2^64" : ConsoleText.Hex(r.Range.End),
                    Markup.Escape(r.Range.Master.ToString()),
                    Markup.Escape(string.Join(" ", r.Range.Replicas.Select(x => x.ToString()))),
                    ConsoleText.Number(r.Range.Epoch),
                    r.Keys < 0 ? "?" : ConsoleText.Number(r.Keys),
                    r.Bytes < 0 ? "?" : ConsoleText.Size(r.Bytes),
                    r.ReplicaLag < 0 ? "?" : ConsoleText.Number(r.ReplicaLag),
                    r.ReplicasInSync < 0 ? "?" : $"{r.ReplicasInSync}/{r.Range.Replicas.Length}");
            }

            ConsoleText.Render(table);
            Console.Out.WriteLine($"Ring version {status.RingVersion}, {status.Ranges.Length} ranges.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
