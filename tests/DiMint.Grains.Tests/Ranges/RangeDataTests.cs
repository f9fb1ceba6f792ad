using System.Net;
using System.Text;
using DiMint.Grains.Ranges;

namespace DiMint.Grains.Tests.Ranges;

/// <summary>
/// A master's copy answers readers with committed values only (the last one a write quorum holds), so a value a reader
/// saw is never lost with the master; and only the master of the right epoch, unfenced, with its lease, serves reads.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RangeDataTests
{
    private static readonly SiloAddress Silo = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly RangeInfo Range = new() { Id = 1, Start = 0, End = 0, Master = Silo, Epoch = 1 };

    [Fact]
    public void Read_OfAWriteNotYetCommitted_AnswersTheValueBefore_UntilItCommits()
    {
        var data = Master();
        Store(data, "k", "v1", seq: 1);
        data.Commit(1);
        Store(data, "k", "v2", seq: 2);

        Assert.Equal("v1", Read(data, "k"));
        data.Commit(2);
        Assert.Equal("v2", Read(data, "k"));
    }

    [Fact]
    public void Read_AfterTheFirstOfTwoPendingWritesCommits_AnswersTheFirst()
    {
        var data = Master();
        Store(data, "k", "v1", seq: 1);
        Store(data, "k", "v2", seq: 2);
        Assert.Null(Read(data, "k"));

        data.Commit(1);

        Assert.Equal("v1", Read(data, "k"));
        data.Commit(2);
        Assert.Equal("v2", Read(data, "k"));
    }

    [Fact]
    public void Read_OfAnUncommittedDelete_StillFindsTheKey()
    {
        var data = Master();
        Store(data, "k", "v1", seq: 1);
        data.Commit(1);
        Assert.Equal(StoreOutcome.Stored, data.TryStore("k", null, 2, epoch: 1));

        Assert.Equal("v1", Read(data, "k"));
        data.Commit(2);
        Assert.Null(Read(data, "k"));
    }

    [Fact]
    public void TryStore_OnACopyFencedForANewerEpoch_ChangesNothing()
    {
        var data = Master();
        data.RaiseFence(2);

        Assert.Equal(StoreOutcome.Refused, data.TryStore("k", Encoding.UTF8.GetBytes("v"), 1, epoch: 1));
        Assert.Equal(0, data.AppliedSeq);
        Assert.Equal(0, data.Count);
    }

    [Fact]
    public void TryReadAsMaster_ServesOnlyTheCurrentEpochUnfencedWithItsLease()
    {
        var data = Master();
        Store(data, "k", "v", seq: 1);
        data.Commit(1);
        data.LeaseUntil = 100;

        Assert.NotNull(data.TryReadAsMaster(1, 1, ["k"], now: 50));
        Assert.Null(data.TryReadAsMaster(1, 1, ["k"], now: 150));
        Assert.Null(data.TryReadAsMaster(2, 1, ["k"], now: 50));
        Assert.Null(data.TryReadAsMaster(1, 2, ["k"], now: 50));
        data.ChangeHeader(h => h with { Held = true });
        Assert.Null(data.TryReadAsMaster(1, 1, ["k"], now: 50));
        data.ChangeHeader(h => h with { Held = false });
        data.RaiseFence(2);
        Assert.Null(data.TryReadAsMaster(1, 1, ["k"], now: 50));
    }

    private static RangeData Master() => new(Range, ringVersion: 1, isMaster: true);

    private static void Store(RangeData data, string key, string value, long seq) =>
        Assert.Equal(StoreOutcome.Stored, data.TryStore(key, Encoding.UTF8.GetBytes(value), seq, epoch: 1));

    private static string? Read(RangeData data, string key) => data.TryGet(key, out var value) ? Encoding.UTF8.GetString(value) : null;
}
