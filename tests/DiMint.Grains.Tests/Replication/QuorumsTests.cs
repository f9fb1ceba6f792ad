using DiMint.Grains.Replication;

namespace DiMint.Grains.Tests.Replication;

/// <summary>The quorum sizes every safety rule rests on: a write quorum and a promotion quorum always meet.</summary>
[Trait("Category", "Unit")]
public sealed class QuorumsTests
{
    [Theory]
    [InlineData(0, 1, 1, 0)]
    [InlineData(1, 2, 1, 1)]
    [InlineData(2, 2, 2, 1)]
    [InlineData(3, 3, 2, 2)]
    [InlineData(4, 3, 3, 2)]
    public void Of_ByDefault_IsAMajority(int replicas, int write, int promotion, int lease)
    {
        var quorums = Quorums.Of(replicas, writeAcks: null);

        Assert.Equal((write, promotion, lease), (quorums.Write, quorums.Promotion, quorums.LeaseReplicas));
    }

    [Fact]
    public void Of_AnyWriteAcks_MakesEveryWriteQuorumMeetEveryPromotionQuorum_AndEveryLeaseMeetEveryPromotion()
    {
        for (var replicas = 0; replicas <= 6; replicas++)
        {
            for (int? acks = null; acks is null || acks <= replicas; acks = (acks ?? 0) + 1)
            {
                var q = Quorums.Of(replicas, acks);
                Assert.True(q.Write + q.Promotion > q.Copies || acks == 0, $"{replicas} replicas, WriteAcks {acks}: {q}");
                Assert.True(q.LeaseReplicas + q.Promotion > q.Copies - 1, $"{replicas} replicas, WriteAcks {acks}: {q}");
                Assert.InRange(q.Promotion, 1, q.Copies);
            }
        }
    }

    [Fact]
    public void Of_Asynchronous_AcknowledgesAtOnce_AndPromotesWithAMajority()
    {
        var q = Quorums.Of(2, writeAcks: 0);

        Assert.Equal((1, 2), (q.Write, q.Promotion));
    }
}
