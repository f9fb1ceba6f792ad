using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Messaging;
using Orleans.Serialization;

namespace DiMint.Tests.Net;

/// <summary>
/// A data-port connection whose peer went silent (its packets dropped by a partition, which TCP does not notice for
/// minutes) is given up after <see cref="DataPortConnection.SilentFor"/>, so its requests fail over to a new connection
/// instead of timing out one after another; a peer that answers keeps its connection.
/// </summary>
public sealed class DataPortConnectionTests
{
    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(s => s.AddAssembly(typeof(DataPortRequest).Assembly))
        .BuildServiceProvider();

    private static readonly DataPortCodec Codec = new(Services.GetRequiredService<Serializer<DataPortRequest>>(), Services.GetRequiredService<Serializer<DataPortAnswer>>());

    [Fact]
    public async Task APeerThatSendsNothing_WhileRequestsWait_IsGivenUp_AndItsRequestsFailAsLost()
    {
        var (peer, connection) = await PairAsync();
        var received = 0;
        var reading = peer.ReceiveAsync((_, _) => Interlocked.Increment(ref received));
        var started = Stopwatch.GetTimestamp();
        var first = connection.SendAsync(Request());

        // Callers keep sending (retries, other ranges); the send after the silence has lasted long enough gives up.
        Task<DataPortAnswer> last = first;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!(last = connection.SendAsync(Request())).IsFaulted && Stopwatch.GetElapsedTime(started) < DataPortConnection.SilentFor * 3)
        {
            await tick.WaitForNextTickAsync();
        }

        Assert.True(connection.IsClosed);
        Assert.InRange(Stopwatch.GetElapsedTime(started), DataPortConnection.SilentFor, DataPortConnection.SilentFor * 3);
        await Assert.ThrowsAsync<ConnectionFailedException>(() => last);
        await Assert.ThrowsAsync<ConnectionFailedException>(() => first.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(received > 0);
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task APeerThatAnswers_KeepsItsConnection_PastTheSilenceLimit()
    {
        var (peer, connection) = await PairAsync();
        var reading = peer.ReceiveAsync((id, _) => peer.Send<DataPortAnswer>(Codec, id, new DataPortAnswer { Results = [] }));
        var started = Stopwatch.GetTimestamp();

        while (Stopwatch.GetElapsedTime(started) < DataPortConnection.SilentFor * 1.5)
        {
            // One request in flight at a time, as a replication lane sends: each is answered, so none is given up.
            var answer = await connection.SendAsync(Request()).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotNull(answer.Results);
        }

        Assert.False(connection.IsClosed);
        connection.Close("the test ended");
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task APeerThatClosesTheConnection_IsReportedLost_OnceAndAtOnce()
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = 0;
        var (peer, connection) = await PairAsync(() =>
        {
            Interlocked.Increment(ref reports);
            lost.TrySetResult();
        });
        var waiting = connection.SendAsync(Request());

        // As the kernel does for a killed process: the peer's socket closes without an answer.
        peer.Dispose();

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(connection.IsClosed);
        await Assert.ThrowsAsync<ConnectionFailedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        connection.Close("the test ended");
        Assert.Equal(1, Volatile.Read(ref reports));
    }

    [Fact]
    public async Task AConnectionThisSideCloses_IsNotReportedLost()
    {
        var reports = 0;
        var (peer, connection) = await PairAsync(() => Interlocked.Increment(ref reports));
        var reading = peer.ReceiveAsync((_, _) => { });

        connection.Close("this side is stopping");

        // The peer sees the close, so the connection's receiving loop has ended too by the time it has.
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ConnectionFailedException>(() => connection.SendAsync(Request()));
        Assert.Equal(0, Volatile.Read(ref reports));
    }

    private static DataPortRequest Request() => new() { Batches = [], RingVersion = 1 };

    private static async Task<(FramedSocket Peer, DataPortConnection Connection)> PairAsync(Action? lost = null)
    {
        var (raw, peer) = await LoopbackSockets.PairAsync();
        return (peer, DataPortConnection.Open(new FramedSocket(raw), Codec, lost));
    }
}
