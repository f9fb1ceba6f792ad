using System.Globalization;
using DiMint.Faults;
using DiMint.Faults.Workload;

// DiMint's fault harness. Two modes:
//   run [--set short|long] [--seed N] [--schedule NAME]...   the schedules on a new lab cluster (needs root); prints the report
//   client --zookeeper Z --secret-file F --history FILE --prefix P --client N [--workers W] [--registers R]
//                                                            one workload client (the harness starts these on client hosts)
const string Usage = """
    Usage: tests/faults.sh [--set short|long] [--seed N] [--schedule NAME]... [--replication-factor N]
           dotnet tests/DiMint.Faults/bin/Debug/net10.0/DiMint.Faults.dll run [same options]

    Runs DiMint's fault schedules on a cluster of 5 silos, a 3-server ZooKeeper ensemble and 2 clients, each
    in its own network namespace (needs root and iproute2), and checks the clients' histories: every
    acknowledged write present afterwards, and every key's history linearizable. Prints one row per schedule
    and, for a failure, the minimal offending history. Exit code 0 when every schedule passed.

      --set short|long   the short set (what CI runs) or every schedule plus randomised ones (default long)
      --seed N           the seed of the randomised schedules (default: the time; printed for replay)
      --random N         how many randomised schedules the long set adds (default 3)
      --schedule NAME    run only these schedules (repeatable; random-N replays one)
      --replication-factor N   copies of each range (default 3; 5 to check two faults)
      --silos N          silos in the lab cluster (default 5; the kill schedules also run on 3)
      --repeat N         run the chosen schedules N times over; a schedule run more than once gets a summary line
                         of its longest unavailability (median, worst): the failover benchmark, e.g.
                         --schedule kill9-master --repeat 10 --silos 3
    """;

// --parent-pid (every process the harness starts gets one) is not needed: a client stops when its input closes.
var (mode, options, _) = Arguments.Parse(args);
switch (mode)
{
    case "client":
        return await WorkloadClient.RunAsync(options);
    case "run":
        try
        {
            return await FaultRun.RunAsync(options, Console.WriteLine);
        }
        catch (ArgumentException ex)
        {
            // A bad option (an unknown schedule, a number that is not one): say which, with the usage.
            Console.Error.WriteLine($"faults: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
    default:
        Console.Error.WriteLine(Usage);
        return mode is "--help" or "-h" or "help" ? 0 : 2;
}
