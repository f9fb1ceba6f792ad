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

    [Fact]
    public void ExpiredValue_IsMissingForReaders_AndTakenForDeletion_OnlyWhileStillExpired()
    {
        var data = Master();
        var now = ValueExpiry.NowMs();
        data.Set("gone", ValueExpiry.Wrap(ValueCodec.Encode("v"), now - 1));
        data.Set("later", ValueExpiry.Wrap(ValueCodec.Encode("v"), now + 60_000));
        data.Set("rewritten", ValueExpiry.Wrap(ValueCodec.Encode("v"), now - 1));
        data.Set("rewritten", ValueCodec.Encode("no expiry now"));

        Assert.False(data.TryGet("gone", out _));
        Assert.True(data.TryGet("later", out _));
        Assert.True(data.TryGet("rewritten", out _));
        Assert.Equal(2, data.Expiring);
        Assert.Equal(now - 1, data.NextExpiry);

        Assert.Equal(["gone"], data.TakeExpired(now, max: 10));
        Assert.Equal(now + 60_000, data.NextExpiry);
        Assert.Empty(data.TakeExpired(now, max: 10));
        Assert.Equal(3, data.Count);
    }

    [Fact]
    public void ExpiryQueue_StaysBounded_WhenOneKeyIsRewrittenWithAnExpiryOverAndOver()
    {
        var data = Master();
        var now = ValueExpiry.NowMs();
        for (var i = 0; i < 100_000; i++)
        {
            data.Set("session", ValueExpiry.Wrap(ValueCodec.Encode(i), now + 60_000 + i));
        }

        Assert.Equal(1, data.Expiring);
        Assert.Equal(["session"], data.TakeExpired(now + 200_000, max: 100_000));
        Assert.Equal(long.MaxValue, data.NextExpiry);
    }

    [Fact]
    public void HandOverAsReplica_KeepsTheExpiries()
    {
        var data = Master();
        var now = ValueExpiry.NowMs();
        data.Set("k", ValueExpiry.Wrap(ValueCodec.Encode("v"), now + 1_000));
        var replica = data.HandOverAsReplica(Range, new Ring { Version = 2, Ranges = [Range], NextRangeId = 2 });

        Assert.Equal(1, replica.Expiring);
        Assert.Equal(now + 1_000, replica.NextExpiry);
        Assert.Equal(0, data.Expiring);
        Assert.Equal(["k"], replica.TakeExpired(now + 1_000, max: 10));
    }

    private static RangeData Master() => new(Range, ringVersion: 1, isMaster: true);

    private static void Store(RangeData data, string key, string value, long seq) =>
        Assert.Equal(StoreOutcome.Stored, data.TryStore(key, Encoding.UTF8.GetBytes(value), seq, epoch: 1));

    private static string? Read(RangeData data, string key) => data.TryGet(key, out var value) ? Encoding.UTF8.GetString(value) : null;
}
