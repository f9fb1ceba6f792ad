using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DiMint.Client;

namespace DiMint.Cli.Commands;

/// <summary>
/// Online rebalancing: <c>split</c>, <c>merge</c>, <c>move</c>, <c>drain</c>, <c>rebalance</c> start ring operations on
/// the overlord and follow them to the end; <c>ops</c> lists them. Clients keep reading and writing throughout.
/// </summary>
internal static class RebalanceCommands
{
    private const string FollowText = """
        Clients keep working. Shows progress (bytes moved, rate), then a summary: keys, duration, fence.
        Exit codes: 0 done, 1 rolled back (ring as before), 2 bad arguments or range busy (nothing changed).
        """;

    private static readonly Option<bool> NoWait = new("--no-wait")
    {
        Description = "Start the operation, print it and return; follow it later with 'dimint ops ID --follow'.",
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the operation as it ended (or, with --no-wait, as it started) as JSON; progress goes to stderr.",
    };

    public static Command Split()
    {
        var range = RangeArgument("RANGE", "The id of the range to split (see 'dimint ring').");
        var at = new Option<string?>("--at")
        {
            HelpName = "HASH",
            Description = "The hash where the upper half starts (0x and hex digits, or decimal); it must lie inside the range. Default: where the range's bytes divide in half.",
        };
        var command = new Command("split", "Split a range in two at a hash; both halves keep its master and replicas.\n" + FollowText)
        {
            range, at, NoWait, Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            ulong? point = parse.GetValue(at) is { } text ? ConsoleText.ParseHash(text, "--at") : null;
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var op = await client.StartSplitAsync(parse.GetValue(range), point, ct);
            return await FinishAsync(client, parse, [op], single: true, ct);
        }));
        return command;
    }

    public static Command Merge()
    {
        var range = RangeArgument("RANGE", "The id of the first range; the merged range keeps its id and silos.");
        var other = RangeArgument("RANGE2", "The id of the range adjacent to it (just before or after it on the ring).");
        var command = new Command("merge", "Merge two adjacent ranges into one, on the first range's silos.\n" + FollowText)
        {
            range, other, NoWait, Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var (first, second) = (parse.GetValue(range), parse.GetValue(other));
            if (first == second)
            {
                throw new CliUsageException($"Give two different ranges to merge (both are {first}).");
            }

            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var op = await client.StartMergeAsync(first, second, ct);
            return await FinishAsync(client, parse, [op], single: true, ct);
        }));
        return command;
    }

    public static Command Move()
    {
        var range = RangeArgument("RANGE", "The id of the range whose master (or replica) moves.");
        var to = new Option<string>("--to")
        {
            HelpName = "SILO",
            Description = "The silo to move to, as host:port (its silo port, as 'dimint status' shows it). It must be up.",
            Required = true,
        };
        var replica = new Option<bool>("--replica") { Description = "Move one of the range's replicas instead of its master." };
        var from = new Option<string?>("--from")
        {
            HelpName = "SILO",
            Description = "With --replica: the replica to move, by its silo (host:port). Default: the one on the busiest silo.",
        };
        var command = new Command("move", """
            Move a range's master (or, with --replica, a replica) to another silo: a chunked copy, the writes made
            meanwhile, then a short fence (writes wait) for the last ones and the ring switch.
            """ + "\n" + FollowText)
        {
            range, to, replica, from, NoWait, Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var moveReplica = parse.GetValue(replica);
            var fromText = parse.GetValue(from);
            if (fromText is not null && !moveReplica)
            {
                throw new CliUsageException("--from picks which replica moves: give it with --replica (a master always moves from its own silo).");
            }

            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var target = await client.ResolveSiloAsync(parse.GetValue(to)!, ct);
            var source = fromText is null ? null : await client.ResolveSiloAsync(fromText, ct);
            var op = await client.StartMoveAsync(parse.GetValue(range), target, moveReplica, source, ct);
            return await FinishAsync(client, parse, [op], single: true, ct);
        }));
        return command;
    }

    public static Command Drain()
    {
        var silo = new Argument<string>("SILO") { Description = "The silo to empty, as host:port (its silo port, as 'dimint status' shows it)." };
        var command = new Command("drain", """
            Move every master and replica off a silo, one range at a time, so that it can stop with nothing lost; new
            ranges and replicas avoid it from then on. The last silo cannot be drained.
            """ + "\n" + FollowText)
        {
            silo, NoWait, Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var address = await client.ResolveSiloAsync(parse.GetValue(silo)!, ct);
            var op = await client.StartDrainAsync(address, ct);
            return await FinishAsync(client, parse, [op], single: true, ct);
        }));
        return command;
    }

    public static Command Recover()
    {
        var range = new Argument<int?>("RANGE") { Description = "The id of the range to recover (see 'dimint ring').", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Every range whose master is not on a silo that is up (after a restart of every silo, say), instead of RANGE." };
        var from = new Option<string?>("--from")
        {
            HelpName = "SILO",
            Description = "Make the copy on this silo (host:port) the master, as it is: writes only the unreachable copies hold are lost.",
        };
        var empty = new Option<bool>("--empty") { Description = "Start the range empty on the least loaded silo: all its data is given up." };
        var command = new Command("recover", """
            Force a range that cannot be promoted back into service. DiMint never does this on its own: when a range's
            master is lost and too few of its copies answer to promote one without losing acknowledged writes, the range
            stays unavailable (clients get RangeUnavailable) until copies come back. Use this only when they will not.
            Exit codes: 0 recovered, 2 bad arguments, an unknown range or silo, or no complete copy there.
            """)
        {
            range, all, from, empty,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var fromText = parse.GetValue(from);
            if ((fromText is null) == !parse.GetValue(empty))
            {
                throw new CliUsageException("Give either --from SILO (promote that silo's copy) or --empty (start the range empty).");
            }

            if ((parse.GetValue(range) is null) == !parse.GetValue(all))
            {
                throw new CliUsageException("Give either a RANGE or --all.");
            }

            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var source = fromText is null ? null : await client.ResolveSiloAsync(fromText, ct);
            int[] ids;
            if (parse.GetValue(range) is { } one)
            {
                ids = [one];
            }
            else
            {
                var status = await client.GetClusterStatusAsync(ct);
                var up = status.Silos.Where(s => s.IsUp).Select(s => s.Address).ToHashSet();
                ids = [.. status.Ranges.Where(r => !up.Contains(r.Range.Master)).Select(r => r.Range.Id)];
                if (ids.Length == 0)
                {
                    Console.Out.WriteLine("Every range has its master on a silo that is up: nothing to recover.");
                    return ExitCodes.Ok;
                }
            }

            foreach (var id in ids)
            {
                var recovered = await client.RecoverRangeAsync(id, source, parse.GetValue(empty), ct);
                Console.Out.WriteLine($"Range {recovered.Id} recovered {(source is null ? "empty" : $"from the copy on {ConsoleText.Silo(source)}")}: master {ConsoleText.Silo(recovered.Master)} at epoch {recovered.Epoch}.");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Rebalance()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print what the policy would do; start nothing." };
        var command = new Command("rebalance", """
            Run the balancing policy now: print the splits, merges and moves it plans as a table, then follow them to
            the end (--dry-run: print only, start nothing).
            """ + "\n" + FollowText)
        {
            dryRun, NoWait, Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var json = parse.GetValue(Json);
            await using var client = await CliOptions.ConnectAsync(parse, ct);
            var planned = await client.RebalanceAsync(parse.GetValue(dryRun), ct);
            if (parse.GetValue(dryRun))
            {
                var now = DateTimeOffset.UtcNow;
                if (json)
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(planned.Select(op => OperationText.ToJson(op, now)), ConsoleText.Json));
                }
                else if (planned.IsEmpty)
                {
                    Console.Out.WriteLine("The cluster is balanced: the policy plans nothing.");
                }
                else
                {
                    ConsoleText.Render(OperationText.Table(planned, now, planned: true));
                    Console.Out.WriteLine($"{planned.Length} {(planned.Length == 1 ? "operation" : "operations")} planned (dry run: nothing started).");
                }

                return ExitCodes.Ok;
            }

            if (planned.IsEmpty)
            {
                Console.Out.WriteLine(json ? "[]" : "The cluster is balanced: nothing to do.");
                return ExitCodes.Ok;
            }

            if (!json)
            {
                ConsoleText.Render(OperationText.Table(planned, DateTimeOffset.UtcNow, planned: true));
            }

            return await FinishAsync(client, parse, planned, single: false, ct);
        }));
        return command;
    }

    public static Command Ops()
    {
        var id = new Argument<long?>("ID") { Description = "Show only this operation.", Arity = ArgumentArity.ZeroOrOne };
        var follow = new Option<bool>("--follow", "-f") { Description = "With ID: follow the operation to its end, as the command that started it would." };
        var command = new Command("ops", """
            List ring operations under way, then recent finished ones: id, kind, range(s), source -> target silo, state,
            progress, bytes moved, keys, rate, fence (how long writes waited at the switch), duration, and the reason
            (why the policy planned it, or why it was rolled back). With ID: that one; --follow waits for its end.
            """)
        {
            id, follow, CliOptions.Json,
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            var json = parse.GetValue(CliOptions.Json);
            var wanted = parse.GetValue(id);
            if (parse.GetValue(follow) && wanted is null)
            {
                throw new CliUsageException("--follow needs the id of the operation to follow: dimint ops ID --follow.");
            }

            await using var client = await CliOptions.ConnectAsync(parse, ct);
            if (wanted is { } one)
            {
                var op = await client.GetOperationAsync(one, ct)
                    ?? throw new CliUsageException($"Operation {one} is not known to the overlord (finished long ago, or before it restarted).");
                if (parse.GetValue(follow))
                {
                    return await FinishAsync(client, parse, [op], single: true, ct);
                }

                Print([op], json, single: true);
                return ExitCodes.Ok;
            }

            var operations = await client.GetOperationsAsync(ct);
            if (!json && operations.IsEmpty)
            {
                Console.Out.WriteLine("No ring operations under way or recent.");
                return ExitCodes.Ok;
            }

            Print(operations, json, single: false);
            if (!json)
            {
                Console.Out.WriteLine($"{operations.Count(o => !o.IsFinished)} under way, {operations.Count(o => o.IsFinished)} finished.");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Argument<int> RangeArgument(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return id;
            }

            result.AddError($"{name} '{text}' is not a range id: give the number 'dimint ring' shows.");
            return 0;
        },
    };

    /// <summary>
    /// After the operations started: with --no-wait print them; else follow them to the end, print each one's summary
    /// (or why it was rolled back) and the JSON with --json. Exit code 1 when any was rolled back.
    /// </summary>
    private static async Task<int> FinishAsync(DimintClient client, ParseResult parse, IReadOnlyList<RingOperationInfo> started, bool single, CancellationToken cancellationToken)
    {
        var json = parse.GetResult(Json) is not null ? parse.GetValue(Json) : parse.GetValue(CliOptions.Json);
        if (parse.GetResult(NoWait) is not null && parse.GetValue(NoWait))
        {
            Print(started, json, single);
            if (!json)
            {
                Console.Out.WriteLine($"Started; follow with 'dimint ops {started[0].Id} --follow', or see 'dimint ops'.");
            }

            return ExitCodes.Ok;
        }

        var ended = await OperationProgress.FollowAsync(client, started, json, cancellationToken);
        var ring = ended.Any(o => o.State == RingOperationState.Done) ? await client.GetRingAsync(refresh: true, cancellationToken) : null;
        var now = DateTimeOffset.UtcNow;
        if (json)
        {
            Print(ended, json: true, single);
        }

        foreach (var op in ended)
        {
            if (op.State == RingOperationState.RolledBack)
            {
                Console.Error.WriteLine(OperationText.RolledBack(op, now));
            }
            else if (!json)
            {
                Console.Out.WriteLine(OperationText.Summary(op, ring, now));
            }
        }

        return ended.Any(o => o.State == RingOperationState.RolledBack) ? ExitCodes.RolledBack : ExitCodes.Ok;
    }

    private static void Print(IReadOnlyList<RingOperationInfo> operations, bool json, bool single)
    {
        var now = DateTimeOffset.UtcNow;
        if (json)
        {
            Console.Out.WriteLine(single
                ? JsonSerializer.Serialize(OperationText.ToJson(operations[0], now), ConsoleText.Json)
                : JsonSerializer.Serialize(operations.Select(op => OperationText.ToJson(op, now)), ConsoleText.Json));
            return;
        }

        ConsoleText.Render(OperationText.Table(operations, now));
    }
}
