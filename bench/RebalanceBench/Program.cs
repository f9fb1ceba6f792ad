// Measures what issue #5 asks of online rebalancing on a running local cluster (`dimint up`, RF 2 so that a silo without
// the range exists): the throughput of moving one big range's master while a client load runs, that load's p99 before,
// during and after the move, the move's fence, failed operations, and how long a silo that joins the loaded cluster
// takes to hold its fair share. Usage:
//   dotnet run -c Release --project bench/RebalanceBench -- GATEWAY SILO_DLL PRIMARY_SILO_PORT [RANGE_MB] [CONCURRENCY]
using System.Diagnostics;
using System.Globalization;
using DiMint;
using DiMint.Client;
using HdrHistogram;

var gateway = args[0];
var siloDll = args[1];
var primaryPort = int.Parse(args[2], CultureInfo.InvariantCulture);
var rangeMb = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 500;
var concurrency = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 16;
const int ValueBytes = 1000;

await using var client = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = [gateway] });
var ring = await client.GetRingAsync(refresh: true);
var range = ring.Ranges[0];

// Fill one range with about RANGE_MB of data (keys whose hashes fall in it).
var clock = Stopwatch.StartNew();
var value = new byte[ValueBytes];
Random.Shared.NextBytes(value);
long loaded = 0;
var batch = new List<KeyValuePair<string, byte[]>>(2000);
for (var i = 0; loaded < rangeMb * 1024L * 1024; i++)
{
    var key = $"big:{i}";
    if (!range.Contains(KeyHash.Of(key)))
    {
        continue;
    }

    batch.Add(KeyValuePair.Create(key, value));
    loaded += key.Length + ValueBytes + 8;
    if (batch.Count == batch.Capacity)
    {
        await client.SetManyAsync(batch);
        batch.Clear();
    }
}

await client.SetManyAsync(batch);
Console.WriteLine($"loaded {loaded / 1048576.0:0} MB into range {range.Id} in {clock.Elapsed.TotalSeconds:0.0} s");
await WaitAsync(async () => (await client.GetClusterStatusAsync()).Ranges.All(r => r.ReplicasInSync == r.Range.Replicas.Length && r.ReplicaLag == 0), "replicas in sync");

// A steady 80/20 load on other keys, its latencies kept per phase.
var phase = "before";
var histograms = new Dictionary<string, LongHistogram>();
long failed = 0, operations = 0;
using var stop = new CancellationTokenSource();
var small = new byte[100];
var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
{
    var random = new Random(w);
    while (!stop.IsCancellationRequested)
    {
        var key = $"load:{random.Next(20_000)}";
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (random.Next(5) == 0)
            {
                await client.SetAsync(key, small);
            }
            else
            {
                await client.TryGetAsync<byte[]>(key);
            }

            Interlocked.Increment(ref operations);
        }
        catch (DiMintException)
        {
            Interlocked.Increment(ref failed);
        }

        var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        var histogram = Histogram(phase);
        lock (histogram)
        {
            histogram.RecordValue(Math.Max(1, micros));
        }
    }
})).ToArray();

await Task.Delay(TimeSpan.FromSeconds(15));

// Move the big range's master to a silo that holds no copy of it: a full copy, then the fence.
var target = (await client.GetNodeStatusAsync()).Select(s => s.Address).First(s => !range.Master.Equals(s) && !range.Replicas.Contains(s));
phase = "during move";
var operation = await client.StartMoveAsync(range.Id, target);
operation = await client.WaitForOperationAsync(operation.Id, new Progress<RingOperationInfo>(o => Console.Write($"\r  {o.State} {o.BytesMoved / 1048576.0:0} / {o.BytesTotal / 1048576.0:0} MB   ")));
var seconds = (operation.EndedAt!.Value - operation.StartedAt).TotalSeconds;
Console.WriteLine();
Console.WriteLine($"move: {operation.BytesMoved / 1048576.0:0} MB, {operation.KeysMoved} keys in {seconds:0.0} s = {operation.BytesMoved / 1048576.0 / seconds:0.0} MB/s; fence {operation.Fence!.Value.TotalMilliseconds:0.0} ms");
phase = "after move";
await Task.Delay(TimeSpan.FromSeconds(10));

// A silo joins the loaded cluster: how long until the policy has given it its fair share?
phase = "silo joining";
var siloPort = FreePort();
var gatewayPort = FreePort();
using var joining = Process.Start(new ProcessStartInfo("dotnet", [siloDll, "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--primary", $"127.0.0.1:{primaryPort}", "--parent-pid", $"{Environment.ProcessId}"])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
})!;
_ = joining.StandardOutput.ReadToEndAsync();
_ = joining.StandardError.ReadToEndAsync();
clock.Restart();
SiloAddress? joined = null;
await WaitAsync(async () => (joined = (await client.GetNodeStatusAsync()).FirstOrDefault(s => s.IsUp && s.Address.Endpoint.Port == siloPort)?.Address) is not null, "the new silo to be up");
var up = clock.Elapsed;
await WaitAsync(async () => FairShare(await client.GetRingAsync(refresh: true), joined!), "the new silo's fair share", TimeSpan.FromMinutes(10));
Console.WriteLine($"join: up after {up.TotalSeconds:0.0} s, fair share of masters and replicas after {clock.Elapsed.TotalSeconds:0.0} s");
phase = "after join";
await Task.Delay(TimeSpan.FromSeconds(5));
await stop.CancelAsync();
await Task.WhenAll(workers);

var fences = (await client.GetOperationsAsync()).Where(o => o.Fence is not null).Select(o => o.Fence!.Value.TotalMilliseconds).ToArray();
Console.WriteLine($"operations: {operations}, failed: {failed}; ring operations: {fences.Length}, longest fence {fences.DefaultIfEmpty().Max():0.0} ms");
Console.WriteLine("| phase | ops | p50 ms | p99 ms | max ms |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, histogram) in histograms)
{
    Console.WriteLine($"| {name} | {histogram.TotalCount} | {histogram.GetValueAtPercentile(50) / 1000.0:0.00} | {histogram.GetValueAtPercentile(99) / 1000.0:0.00} | {histogram.GetMaxValue() / 1000.0:0.00} |");
}

joining.Kill();
return;

LongHistogram Histogram(string name)
{
    lock (histograms)
    {
        if (!histograms.TryGetValue(name, out var histogram))
        {
            histograms[name] = histogram = new LongHistogram(TimeSpan.FromMinutes(1).Ticks, 3);
        }

        return histogram;
    }
}

static bool FairShare(Ring ring, SiloAddress silo)
{
    var silos = ring.Ranges.SelectMany(r => r.Replicas.Prepend(r.Master)).Append(silo).Distinct().Count();
    return ring.Ranges.Count(r => r.Master.Equals(silo)) >= ring.Ranges.Length / (double)silos / 1.25
        && ring.Ranges.Count(r => r.Replicas.Contains(silo)) >= ring.Ranges.Sum(r => r.Replicas.Length) / (double)silos / 1.25;
}

static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
{
    var clock = Stopwatch.StartNew();
    while (!await condition())
    {
        if (clock.Elapsed > (timeout ?? TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException(what);
        }

        await Task.Delay(100);
    }
}

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}
