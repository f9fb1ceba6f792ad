using System.CommandLine;
using DiMint.Cli;
using DiMint.Cli.Commands;
using DiMint.Hosting;

// Before anything opens a socket: the data port's replies reach the callers on the thread that read them.
SocketCompletions.PreferInline();

var root = new RootCommand("""
    dimint: the DiMint admin console.

    Exit codes: 0 success, 1 key not stored or ring operation rolled back, 2 bad input (nothing changed),
    3 cluster unavailable or failed, 4 refused: the cluster secret is wrong or missing (--secret-file).
    """)
{
    UpCommand.Create(),
    DataCommands.Set(),
    DataCommands.Get(),
    DataCommands.Delete(),
    DataCommands.Ttl(),
    DataCommands.Expire(),
    DataCommands.Persist(),
    DataCommands.Increment(),
    ClusterCommands.Status(),
    ClusterCommands.Ring(),
    RebalanceCommands.Split(),
    RebalanceCommands.Merge(),
    RebalanceCommands.Move(),
    RebalanceCommands.Drain(),
    RebalanceCommands.Rebalance(),
    RebalanceCommands.Ops(),
    RebalanceCommands.Recover(),
    BenchCommand.Create(),
    SimCommand.Create(),
};
root.Options.Add(CliOptions.Gateway);
root.Options.Add(CliOptions.ZooKeeper);
root.Options.Add(CliOptions.SecretFile);
root.Options.Add(CliOptions.ZooKeeperAuthFile);
root.Options.Add(CliOptions.TlsAuthority);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    Console.Error.WriteLine("Run 'dimint --help' for usage.");
    return ExitCodes.BadInput;
}

// System.CommandLine would answer SIGTERM/Ctrl+C by cancelling and then forcing exit code 143/130 after two seconds;
// `up` needs longer to stop its silos, and handles those signals itself. Other commands end on their own.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
