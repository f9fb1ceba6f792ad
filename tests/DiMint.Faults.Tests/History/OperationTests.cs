using DiMint.Faults.History;

namespace DiMint.Faults.Tests.History;

/// <summary>How an operation reads in a test failure or a report.</summary>
[Trait("Category", "Unit")]
public sealed class OperationTests
{
    [Fact]
    public void ToString_OkWrite_ShowsProcessKeyValueTimesAndOutcome()
    {
        var operation = new Operation(3, "k1", OperationKind.Write, "v17", 1204, 1209, OperationOutcome.Ok);

        Assert.Equal("p3 write k1 := \"v17\" [1204 .. 1209] ok", operation.ToString());
    }

    [Fact]
    public void ToString_ReadOfMissingKey_SaysNotFound()
    {
        var operation = new Operation(2, "k1", OperationKind.Read, null, 5, 9, OperationOutcome.Ok);

        Assert.Equal("p2 read k1 -> not found [5 .. 9] ok", operation.ToString());
    }

    [Fact]
    public void ToString_UnknownRead_HidesItsValueAndCompletion()
    {
        var operation = new Operation(2, "k1", OperationKind.Read, "stale", 5, 9, OperationOutcome.Unknown);

        Assert.Equal("p2 read k1 -> ? [5 .. ?] unknown", operation.ToString());
    }

    [Fact]
    public void ToString_WithOrigin_ShowsSecondsRelativeToIt()
    {
        var operation = new Operation(3, "k1", OperationKind.Write, "v17", 11_204, 11_209, OperationOutcome.Failed);

        Assert.Equal("p3 write k1 := \"v17\" [+1.204000 s .. +1.209000 s] failed", operation.ToString(origin: 10_000, timestampsPerSecond: 1000));
    }
}
