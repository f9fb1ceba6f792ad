using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DiMint.Client;
using DiMint.Grains.Batching;
using DiMint.Testing;
using DiMint.Testing.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.TestingHost;

namespace DiMint.Grains.Tests.Batching;

/// <summary>
/// Clients' batches and the silos' replication travel on the silos' data ports, answer as the Orleans calls do, survive
/// dropped connections, and a peer that sends garbage is cut off without changing anything.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(InProcessClusterCollection.Name)]
public sealed partial class DataPortTests(InProcessClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ClientBatches_GoOnTheDataPort_AndReadBackAsThroughOrleans()
    {
        var client = fixture.NewClient();
        var prefix = TestKeys.Prefix();
        var before = ClientRequests();

        // The first batches go as Orleans calls while the connections open; keep writing until some went on the ports.
        var round = 0;
        await Wait.UntilAsync(
            async () =>
            {
                await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.SetAsync($"{prefix}{round}:{i}", $"v{round}:{i}")));
                round++;
                return ClientRequests() > before;
            },
            Timeout,
            "client batches on the data ports");

        var keys = Enumerable.Range(0, round).SelectMany(r => Enumerable.Range(0, 50).Select(i => $"{prefix}{r}:{i}")).ToArray();
        var overPorts = await Task.WhenAll(keys.Select(k => client.GetAsync<string>(k)));
        var throughOrleans = fixture.NewClient(new DimintClientOptions { UseDataPort = false });
        var sentBefore = ClientRequests();
        var overOrleans = await Task.WhenAll(keys.Select(k => throughOrleans.GetAsync<string>(k)));

        Assert.Equal(keys.Select(k => "v" + k[prefix.Length..]), overPorts);
        Assert.Equal(overPorts, overOrleans);
        Assert.Equal(sentBefore, ClientRequests());
    }

    [Fact]
    public async Task Replication_GoesOnTheDataPorts_AndReplicasHoldTheWrites()
    {
        var client = fixture.NewClient();
        var prefix = TestKeys.Prefix();
        await ReplicationOnTheDataPortsAsync(client);
        var before = Listeners().Sum(l => l.ReplicationRequests);
        var entries = Enumerable.Range(0, 200).ToDictionary(i => prefix + i, i => i);

        await Task.WhenAll(entries.Select(e => client.SetAsync(e.Key, e.Value)));

        Assert.True(Listeners().Sum(l => l.ReplicationRequests) > before, "no replication request came on a data port");
        var replicas = fixture.NewClient(new DimintClientOptions { ReadPreference = ReadPreference.Replica });
        await Wait.UntilAsync(
            async () => (await Task.WhenAll(entries.Keys.Select(k => replicas.TryGetAsync<int>(k)))).Count(r => r.Found) == entries.Count,
            Timeout,
            "every write on a replica");
    }

    [Fact]
    public async Task ReplicaReads_WhileReplicationArrivesOnTheDataPorts_SeeOnlyWrittenValues_AndEndWithTheLast()
    {
        // Replica batches from a data port are applied on the receiving thread; replica reads are turns of the replica
        // grain. Both at once, many times: every read finds a value some write stored, and the replicas end at the last.
        var client = fixture.NewClient();
        var replicas = fixture.NewClient(new DimintClientOptions { ReadPreference = ReadPreference.Replica });
        var keys = Enumerable.Range(0, 8).Select(i => TestKeys.Prefix() + i).ToArray();
        const int Rounds = 150;
        var started = new int[keys.Length];
        await ReplicationOnTheDataPortsAsync(client);
        var before = Listeners().Sum(l => l.ReplicationRequests);
        var writers = keys.Select((key, k) => Task.Run(async () =>
        {
            for (var round = 1; round <= Rounds; round++)
            {
                Volatile.Write(ref started[k], round);
                await client.SetAsync(key, round);
            }
        })).ToArray();
        var reads = 0;
        while (!writers.All(w => w.IsCompleted))
        {
            for (var k = 0; k < keys.Length; k++)
            {
                var (found, value) = await replicas.TryGetAsync<int>(keys[k]);
                Assert.True(!found || (value >= 1 && value <= Volatile.Read(ref started[k])), $"{keys[k]}: a replica answered {value}, which no write stored yet");
                reads++;
            }
        }

        await Task.WhenAll(writers);
        Assert.True(reads > 0, "no replica read ran while the writes did");
        Assert.True(Listeners().Sum(l => l.ReplicationRequests) > before, "no replication request came on a data port");
        await Wait.UntilAsync(
            async () => (await Task.WhenAll(keys.Select(k => replicas.TryGetAsync<int>(k)))).All(r => r is (true, Rounds)),
            Timeout,
            "every replica read to answer the last write");
    }

    [Fact]
    public async Task DroppedConnections_FailNothing_TheClientRetriesAndReconnects()
    {
        var client = fixture.NewClient();
        var prefix = TestKeys.Prefix();
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.SetAsync(prefix + "warm" + i, i)));
        var acknowledged = new List<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"{prefix}{w}:{i}";
                await client.SetAsync(key, key);
                lock (acknowledged)
                {
                    acknowledged.Add(key);
                }
            }
        })).ToArray();

        for (var drop = 0; drop < 3; drop++)
        {
            var count = Acknowledged();
            await Wait.UntilAsync(() => Acknowledged() > count + 200, Timeout, "writes between dropped connections");
            foreach (var listener in Listeners())
            {
                listener.DropConnections();
            }
        }

        await Wait.UntilAsync(() => Acknowledged() > 1000, Timeout, "writes after the last drop");
        stop.Cancel();
        await Task.WhenAll(writers);
        string[] written;
        lock (acknowledged)
        {
            written = [.. acknowledged];
        }

        var read = await client.GetManyAsync(written);
        Assert.Equal(written.Length, read.Count);
        Assert.All(written, k => Assert.Equal(k, (string?)read[k]));

        int Acknowledged()
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }
    }

    [Fact]
    public async Task GarbageFrames_CloseTheConnection_AndChangeNothing()
    {
        var listener = Listeners().First();
        var prefix = TestKeys.Prefix();
        var client = fixture.NewClient();
        await client.SetAsync(prefix + "kept", "before");
        var ring = await client.GetRingAsync(refresh: true);
        var before = await StateAsync();

        // Each malformed frame is followed, on the same connection, by a well-formed write: nothing after a malformed
        // frame may run.
        var write = WriteFrame(ring, new() { [prefix + "kept"] = "overwritten", [prefix + "new"] = "written" });

        // A frame of the right shape whose payload is not a request.
        var garbage = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(garbage, garbage.Length - 4);
        BinaryPrimitives.WriteInt64LittleEndian(garbage.AsSpan(4), 1);
        new Random(7).NextBytes(garbage.AsSpan(12));

        // A length far over the limit.
        var huge = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(huge, int.MaxValue);

        // A length too short to hold a request id.
        var tiny = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(tiny, 3);

        // A request whose batches hold a null beside a write.
        var nullBatch = Frame(2, new DataPortRequest { Batches = [.. WriteRequest(ring, new() { [prefix + "new"] = "written" }).Batches, null!], RingVersion = ring.Version });

        var closed = new List<bool>();
        foreach (var malformed in new[] { garbage, huge, tiny, nullBatch })
        {
            closed.Add(await IsClosedAfterAsync(listener.Port, [.. malformed, .. write]));
        }

        Assert.Equal(before, await StateAsync());
        Assert.Equal("before", await client.GetAsync<string>(prefix + "kept"));
        Assert.False(await client.ExistsAsync(prefix + "new"));
        Assert.All(closed, Assert.True);

        // The same write on its own is served: the frames above were refused for what came before it.
        Assert.False(await IsClosedAfterAsync(listener.Port, write));
        Assert.Equal("overwritten", await client.GetAsync<string>(prefix + "kept"));
        Assert.Equal("written", await client.GetAsync<string>(prefix + "new"));

        async Task<string[]> StateAsync()
        {
            var status = await client.GetClusterStatusAsync();
            return [$"ring {status.RingVersion}", .. status.Ranges.Select(r => $"range {r.Range.Id}: {r.Keys} keys, {r.Bytes} bytes")];
        }
    }

    [Fact]
    public async Task ARequestFromAFutureRing_IsRefusedWithRingVersionException_AndChangesNothing()
    {
        var client = fixture.NewClient();
        var key = TestKeys.Key("future");
        await client.SetAsync(key, "before");
        var ring = await client.GetRingAsync(refresh: true);
        var master = fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(ring.Find(KeyHash.Of(key)).Master));

        // A write and a read routed with a ring version no overlord published, sent to the key's master's data port.
        var future = ring.Version + 1_000;
        var request = WriteRequest(ring, new() { [key] = "from the future" }) with { RingVersion = future };
        request = request with { Batches = [request.Batches[0] with { ReadKeys = [key] }] };
        var answer = await ExchangeAsync(ListenerOf(master).Port, Frame(5, request));

        Assert.Null(answer.Error);
        var result = Assert.Single(answer.Results!);
        foreach (var error in new[] { result.WriteError, result.ReadError })
        {
            var refused = Assert.IsType<RingVersionException>(error);
            Assert.Equal(future, refused.Requested);
            Assert.True(refused.Current < future, $"the silo claimed to know ring {refused.Current}");
        }

        Assert.Equal("before", await client.GetAsync<string>(key));
    }

    [Fact]
    public async Task ConcurrentReads_WhoseAnswersTogetherExceedAFrame_EachGetTheirValue()
    {
        var client = fixture.NewClient();
        var ring = await client.GetRingAsync(refresh: true);
        var master = ring.Ranges[0].Master;
        var keys = Enumerable.Range(0, 100_000).Select(i => TestKeys.Key($"big{i}")).Where(k => ring.Find(KeyHash.Of(k)).Master.Equals(master)).Take(12).ToArray();
        var values = keys.Select((_, i) => Enumerable.Repeat((byte)i, 15 * 1024 * 1024).ToArray()).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            await client.SetAsync(keys[i], values[i]);
        }

        // Once the client's batches go on the data port, read them all at once: the reads that wait for the first one
        // leave together, and their answer (11 x 15 MiB) is over the 128 MiB a frame may hold.
        var before = ClientRequests();
        await Wait.UntilAsync(async () => await client.GetAsync<byte[]>(keys[0]) is not null && ClientRequests() > before, Timeout, "the client's batches to go on the data port");
        var read = await Task.WhenAll(keys.Select(k => client.GetAsync<byte[]>(k)));

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(values[i].AsSpan().SequenceEqual(read[i]), $"{keys[i]} read back other bytes");
        }
    }

    [Fact]
    public async Task ARingWatch_OnAnySilosDataPort_AnswersTheRing_AndAMalformedOneClosesTheConnection()
    {
        var ring = await fixture.Client.GetRingAsync(refresh: true);

        // Asked about an older version, every silo answers at once with the ring it knows (at least that version).
        foreach (var silo in fixture.Cluster.Silos)
        {
            var answer = await ExchangeAsync(ListenerOf(silo).Port, Frame(7, new DataPortRequest { Batches = [], RingAfter = ring.Version - 1 }))
                .WaitAsync(RingCache.WatchFor);
            Assert.Null(answer.Error);
            Assert.NotNull(answer.Ring);
            Assert.True(answer.Ring.Version >= ring.Version, $"{silo.SiloAddress} answered ring {answer.Ring.Version}, older than {ring.Version}");
        }

        // Asked about the newest, it waits for a newer one, and with none answers the one it has.
        var waited = await ExchangeAsync(ListenerOf(fixture.Cluster.Silos[0]).Port, Frame(8, new DataPortRequest { Batches = [], RingAfter = long.MaxValue / 2 }));
        Assert.Null(waited.Error);
        Assert.True(waited.Ring!.Version >= ring.Version);

        // A watch that carries batches, or a negative version, is malformed.
        Assert.True(await IsClosedAfterAsync(ListenerOf(fixture.Cluster.Silos[0]).Port, Frame(9, WriteRequest(ring, new() { [TestKeys.Key("watch")] = "x" }) with { RingAfter = ring.Version })));
        Assert.True(await IsClosedAfterAsync(ListenerOf(fixture.Cluster.Silos[0]).Port, Frame(10, new DataPortRequest { Batches = [], RingAfter = -1 })));
        await Assert.ThrowsAsync<DiMintKeyNotFoundException>(() => fixture.Client.GetAsync(TestKeys.Key("watch")));
    }

    [Fact]
    public async Task TheOverlordsProbes_GoOnTheDataPorts_AndAMalformedProbeClosesTheConnection()
    {
        // The overlord probes every silo ten times a second once the ring exists (made on first use: run alone, this test
        // is the first to use it): every silo but its own answers on its data port.
        var ring = await fixture.Client.GetRingAsync(refresh: true);
        var silos = fixture.Cluster.Silos.ToArray();
        var before = silos.Select(s => ListenerOf(s).Probes).ToArray();
        await Wait.UntilAsync(() => silos.Where((s, i) => ListenerOf(s).Probes > before[i]).Count() >= silos.Length - 1, Timeout, "every silo but the overlord's to answer its probes on the data port");
        var probed = silos.First(s => ListenerOf(s).Probes > before[Array.IndexOf(silos, s)]);

        // A probe is answered at once with the silo's recent longest stall.
        var answer = await ExchangeAsync(ListenerOf(probed).Port, Frame(11, new DataPortRequest { Batches = [], Ping = true })).WaitAsync(Timeout);
        Assert.Null(answer.Error);
        Assert.NotNull(answer.Stall);
        Assert.True(answer.Stall >= TimeSpan.Zero);
        Assert.Null(answer.Results);

        // A probe that carries a write, or a ring watch, is malformed: the connection closes and nothing is written.
        Assert.True(await IsClosedAfterAsync(ListenerOf(probed).Port, Frame(12, WriteRequest(ring, new() { [TestKeys.Key("probe")] = "x" }) with { Ping = true })));
        Assert.True(await IsClosedAfterAsync(ListenerOf(probed).Port, Frame(13, new DataPortRequest { Batches = [], Ping = true, RingAfter = ring.Version })));
        await Assert.ThrowsAsync<DiMintKeyNotFoundException>(() => fixture.Client.GetAsync(TestKeys.Key("probe")));
    }

    [Fact]
    public async Task EachSilo_TellsItsDataPort()
    {
        foreach (var silo in fixture.Cluster.Silos)
        {
            var port = await fixture.BatchServiceAt(silo).GetDataPortAsync();
            Assert.Equal(ListenerOf(silo).Port, port);
            Assert.NotEqual(0, port);
        }
    }

    /// <summary>Sends <paramref name="bytes"/> on a new connection; whether the silo then closes it.</summary>
    private static async Task<bool> IsClosedAfterAsync(int port, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(bytes, SocketFlags.None);
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Sends one request frame on a new connection and reads its answer frame.</summary>
    private async Task<DataPortAnswer> ExchangeAsync(int port, byte[] frame)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(frame, SocketFlags.None);
        using var deadline = new CancellationTokenSource(Timeout);
        var header = await ReceiveExactlyAsync(4);
        var body = await ReceiveExactlyAsync(BinaryPrimitives.ReadInt32LittleEndian(header));
        Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(frame.AsSpan(4)), BinaryPrimitives.ReadInt64LittleEndian(body));
        return DataPortFrames.Codec.ReadAnswer(body.AsMemory(8));

        async Task<byte[]> ReceiveExactlyAsync(int count)
        {
            var buffer = new byte[count];
            for (var read = 0; read < count;)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
                Assert.True(n > 0, "the silo closed the connection instead of answering");
                read += n;
            }

            return buffer;
        }
    }

    /// <summary>A request that writes <paramref name="entries"/>, one batch per range, routed with <paramref name="ring"/>.</summary>
    private static DataPortRequest WriteRequest(Ring ring, Dictionary<string, string> entries) => new()
    {
        Batches = [.. entries.GroupBy(e => ring.Find(KeyHash.Of(e.Key)).GrainKey).Select(g => new RangeBatch
        {
            GrainKey = g.Key,
            WriteKeys = [.. g.Select(e => e.Key)],
            WriteValues = [.. g.Select(e => ValueCodec.Encode(e.Value))],
        })],
        RingVersion = ring.Version,
    };

    private byte[] WriteFrame(Ring ring, Dictionary<string, string> entries) => Frame(3, WriteRequest(ring, entries));

    /// <summary>A frame as <see cref="FramedSocket"/> sends it: length, request id, serialized request.</summary>
    private byte[] Frame(long id, DataPortRequest request)
    {
        var payload = DataPortFrames.Payload(request);
        var frame = new byte[12 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length + 8);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(4), id);
        payload.CopyTo(frame, 12);
        return frame;
    }

    private long ClientRequests() => Listeners().Sum(l => l.ClientRequests);

    /// <summary>
    /// Writes until a replication request arrives on a data port: a silo connects to another's port on first use and
    /// replicates through Orleans until the connection is up.
    /// </summary>
    private Task ReplicationOnTheDataPortsAsync(DimintClient client)
    {
        var before = Listeners().Sum(l => l.ReplicationRequests);
        var keys = Enumerable.Range(0, 32).Select(i => TestKeys.Prefix() + "probe" + i).ToArray();
        return Wait.UntilAsync(
            async () =>
            {
                await Task.WhenAll(keys.Select(k => client.SetAsync(k, 1)));
                return Listeners().Sum(l => l.ReplicationRequests) > before;
            },
            Timeout,
            "replication between the silos to come on their data ports");
    }

    private IEnumerable<DataPortListener> Listeners() => fixture.Cluster.Silos.Select(ListenerOf);

    private static DataPortListener ListenerOf(SiloHandle silo) =>
        ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredService<DataPortListener>();
}
