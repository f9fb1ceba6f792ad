using System.Net;
using DiMint.Dashboard.Monitoring;

namespace DiMint.Dashboard.Tests.Monitoring;

[Trait("Category", "Unit")]
public sealed class OperationViewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SiloAddress From = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress To = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 2);

    [Fact]
    public void MoveUnderWay_ShowsPercentOfBytes_RateSoFar_AndBothSilos()
    {
        var move = new RingOperationInfo
        {
            Id = 7,
            Kind = RingOperationKind.MoveMaster,
            RangeId = 4,
            Source = From,
            Target = To,
            State = RingOperationState.Running,
            BytesTotal = 4_000_000,
            BytesMoved = 1_000_000,
            KeysMoved = 500,
            StartedAt = T0,
        };

        var view = OperationView.From(move, T0.AddSeconds(2));

        Assert.Equal("MoveMaster", view.Kind);
        Assert.Equal("Running", view.State);
        Assert.True(view.InProgress);
        Assert.Equal(25, view.Progress);
        Assert.Equal(500_000, view.BytesPerSecond);
        Assert.Equal(2000, view.DurationMs);
        Assert.Equal(From.ToParsableString(), view.Source);
        Assert.Equal(To.ToParsableString(), view.Target);
        Assert.Null(view.FenceMs);
    }

    [Fact]
    public void FinishedSplit_IsComplete_WithItsHalvesFenceAndSplitPoint()
    {
        var split = new RingOperationInfo
        {
            Id = 8,
            Kind = RingOperationKind.Split,
            RangeId = 4,
            SplitAt = 0x8000_0000_0000_0000,
            State = RingOperationState.Done,
            KeysMoved = 1234,
            ResultRanges = [4, 25],
            StartedAt = T0,
            EndedAt = T0.AddMilliseconds(300),
            Fence = TimeSpan.FromMilliseconds(2.5),
        };

        var view = OperationView.From(split, T0.AddMinutes(5));

        Assert.False(view.InProgress);
        Assert.Equal(100, view.Progress);
        Assert.Equal([4, 25], view.ResultRanges);
        Assert.Equal("0x8000000000000000", view.SplitAt);
        Assert.Equal(300, view.DurationMs);
        Assert.Equal(2.5, view.FenceMs);
        Assert.Equal(0, view.BytesPerSecond);
    }

    [Fact]
    public void Drain_ProgressesBySteps_NotItsGrowingByteCount_AndARollbackKeepsItsReason()
    {
        var drain = new RingOperationInfo { Id = 9, Kind = RingOperationKind.Drain, Source = From, State = RingOperationState.Running, Steps = 8, StepsDone = 2, BytesTotal = 1000, BytesMoved = 900, StartedAt = T0 };
        var rolledBack = drain with { State = RingOperationState.RolledBack, EndedAt = T0.AddSeconds(1), Reason = "the target died" };
        var splitInPlace = new RingOperationInfo { Id = 10, Kind = RingOperationKind.Split, RangeId = 1, State = RingOperationState.Running, StartedAt = T0 };

        Assert.Equal(25, OperationView.From(drain, T0).Progress);
        Assert.Null(OperationView.From(drain, T0).Target);
        Assert.False(OperationView.From(rolledBack, T0).InProgress);
        Assert.Equal("RolledBack", OperationView.From(rolledBack, T0).State);
        Assert.Equal("the target died", OperationView.From(rolledBack, T0).Reason);
        Assert.Null(OperationView.From(splitInPlace, T0).Progress);
    }
}
