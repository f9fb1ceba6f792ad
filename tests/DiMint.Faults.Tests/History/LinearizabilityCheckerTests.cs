using DiMint.Faults.History;
using static DiMint.Faults.Tests.History.Ops;

namespace DiMint.Faults.Tests.History;

/// <summary>Hand-written register histories, each a case the checker must get right.</summary>
[Trait("Category", "Unit")]
public sealed class LinearizabilityCheckerTests
{
    [Fact]
    public void Check_EmptyHistory_IsLinearizable()
    {
        var result = LinearizabilityChecker.Check([]);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(0, result.KeysChecked);
    }

    [Fact]
    public void Check_SequentialWritesAndReads_IsLinearizable()
    {
        Operation[] history =
        [
            Read(1, "x", null, 0, 1),
            Write(1, "x", "a", 2, 3),
            Read(2, "x", "a", 4, 5),
            Write(2, "x", "b", 6, 7),
            Read(1, "x", "b", 8, 9),
            Read(3, "x", "b", 10, 11),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(1, result.KeysChecked);
        Assert.Equal(6, result.OperationsChecked);
    }

    [Fact]
    public void Check_NotFoundAfterAcknowledgedWrite_IsNotLinearizable()
    {
        Operation[] history = [Write(1, "x", "a", 0, 1), Read(2, "x", null, 2, 3)];

        var result = LinearizabilityChecker.Check(history);

        Assert.False(result.IsLinearizable);
        var violation = Assert.Single(result.Violations);
        Assert.Equal("x", violation.Key);
        Assert.Equal(history, violation.MinimalHistory);
        Assert.Contains("p2 read x -> not found", violation.Explanation);
        Assert.Contains("had completed before the read was invoked", violation.Explanation);
        Assert.Contains("holding \"a\"", violation.Explanation);
    }

    [Fact]
    public void Check_StaleReadAfterAcknowledgedWrite_IsNotLinearizable()
    {
        Operation[] history =
        [
            Write(1, "x", "a", 0, 1),
            Write(2, "x", "b", 2, 3),
            Read(3, "x", "b", 4, 5),
            Read(3, "x", "a", 6, 7),
        ];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(new[] { history[0], history[1], history[3] }, violation.MinimalHistory);
        Assert.Contains("had been overwritten by p2 write x := \"b\"", violation.Explanation);
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("b", "a")]
    public void Check_ConcurrentWrites_ReadsMaySeeEitherOrder(string first, string second)
    {
        Operation[] history =
        [
            Write(1, "x", "a", 0, 10),
            Write(2, "x", "b", 0, 10),
            Read(3, "x", first, 1, 2),
            Read(3, "x", second, 3, 4),
            Read(4, "x", second, 11, 12),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
    }

    [Fact]
    public void Check_ReadsFlipBetweenValuesAfterConcurrentWritesCompleted_IsNotLinearizable()
    {
        Operation[] history =
        [
            Write(1, "x", "a", 0, 10),
            Write(2, "x", "b", 0, 10),
            Read(3, "x", "a", 11, 12),
            Read(3, "x", "b", 13, 14),
        ];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(history, violation.MinimalHistory);
    }

    [Fact]
    public void Check_ReadOfValueWhoseWriteWasNotYetInvoked_IsNotLinearizable()
    {
        Operation[] history = [Read(1, "x", "a", 0, 1), Write(2, "x", "a", 2, 3)];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(history, violation.MinimalHistory);
        Assert.Contains("invoked only after the read completed", violation.Explanation);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(11, false)]
    public void Check_ReadInvokedAtTheTickAWriteCompleted_IsConcurrentWithIt(long readInvokedAt, bool linearizable)
    {
        Operation[] history = [Write(1, "x", "a", 0, 10), Read(2, "x", null, readInvokedAt, 20)];

        var result = LinearizabilityChecker.Check(history);

        Assert.Equal(linearizable, result.IsLinearizable);
    }

    [Fact]
    public void Check_UnknownWriteReadLater_IsLinearizable()
    {
        // The timed-out write of b lands after c was written and read: allowed, it may take effect at any time.
        Operation[] history =
        [
            Write(1, "x", "a", 0, 1),
            UnknownWrite(2, "x", "b", 2, 3),
            Write(3, "x", "c", 10, 11),
            Read(1, "x", "c", 15, 16),
            Read(1, "x", "b", 20, 21),
            Read(3, "x", "b", 22, 23),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(6, result.OperationsChecked);
    }

    [Fact]
    public void Check_UnknownWriteReadBeforeItWasInvoked_IsNotLinearizable()
    {
        Operation[] history = [Read(1, "x", "b", 0, 1), UnknownWrite(2, "x", "b", 2, 3)];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(history, violation.MinimalHistory);
        Assert.Contains("invoked only after the read completed", violation.Explanation);
    }

    [Fact]
    public void Check_UnknownWriteNeverRead_IsIgnored()
    {
        // Had the write of b taken effect (its "completion" at 3 means nothing), the read of a at 10 would be stale.
        Operation[] history = [Write(1, "x", "a", 0, 1), UnknownWrite(2, "x", "b", 2, 3), Read(1, "x", "a", 10, 11)];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(2, result.OperationsChecked);
    }

    [Fact]
    public void Check_UnknownRead_IsIgnored()
    {
        Operation[] history =
        [
            Write(1, "x", "a", 0, 1),
            new(2, "x", OperationKind.Read, "garbage", 2, 3, OperationOutcome.Unknown),
            Read(1, "x", "a", 4, 5),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(2, result.OperationsChecked);
    }

    [Fact]
    public void Check_ReadOfValueNobodyWrote_IsNotLinearizable()
    {
        Operation[] history = [Write(1, "x", "a", 0, 1), Read(2, "x", "zz", 2, 3), Read(2, "x", "a", 4, 5)];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(new[] { history[1] }, violation.MinimalHistory);
        Assert.Contains("p2 read x -> \"zz\"", violation.Explanation);
        Assert.Contains("a value no write of key \"x\" wrote", violation.Explanation);
    }

    [Fact]
    public void Check_ReadOfValueWrittenToAnotherKey_NamesThatKey()
    {
        Operation[] history = [Write(1, "y", "a", 0, 1), Read(2, "x", "a", 2, 3)];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal("x", violation.Key);
        Assert.Contains("written to another key: p1 write y := \"a\"", violation.Explanation);
    }

    [Fact]
    public void Check_FailedWrite_IsIgnored()
    {
        Operation[] history = [Write(1, "x", "a", 0, 1), FailedWrite(2, "x", "b", 2, 3), Read(1, "x", "a", 4, 5)];

        var result = LinearizabilityChecker.Check(history);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(2, result.OperationsChecked);
    }

    [Fact]
    public void Check_ReadOfFailedWritesValue_IsNotLinearizable()
    {
        Operation[] history = [FailedWrite(1, "x", "b", 0, 1), Read(2, "x", "b", 2, 3)];

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Contains("the only write of it failed", violation.Explanation);
    }

    [Fact]
    public void Check_MultipleKeysWithOneLostWrite_ReportsOnlyThatKey()
    {
        Operation[] history =
        [
            Write(1, "x", "x1", 0, 1),
            Write(2, "y", "y1", 0, 1),
            Write(3, "z", "z1", 0, 1),
            Read(1, "x", "x1", 2, 3),
            Read(2, "y", null, 2, 3),
            Read(3, "z", "z1", 2, 3),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.False(result.IsLinearizable);
        Assert.Equal(3, result.KeysChecked);
        var violation = Assert.Single(result.Violations);
        Assert.Equal("y", violation.Key);
        Assert.All(violation.MinimalHistory, o => Assert.Equal("y", o.Key));
        Assert.Empty(result.KeysTimedOut);
    }

    [Fact]
    public void Check_KeyWhoseSearchTimesOut_IsReportedAndNotAPass()
    {
        // 18 fully concurrent writes, then reads that no order satisfies: proving it means trying ~2^18 subsets of
        // the writes (seconds), far beyond the timeout.
        var history = Enumerable.Range(0, 18).Select(i => Write(i, "x", "v" + i, 0, 100)).ToList();
        history.Add(Read(99, "x", "v0", 101, 102));
        history.Add(Read(99, "x", "v1", 103, 104));

        var result = LinearizabilityChecker.Check(history, new CheckOptions { TimeoutPerKey = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.IsLinearizable);
        Assert.Equal(new[] { "x" }, result.KeysTimedOut);
        Assert.Empty(result.Violations);
        Assert.Contains("Timed out (not verified, counted as a failure): \"x\"", result.Describe());
    }

    [Fact]
    public void Check_TotalTimeoutReached_ReportsEveryUnfinishedKeyAsTimedOut()
    {
        var history = RandomHistory.Generate(seed: 8, processes: 10, keys: 50, operations: 5_000);

        var result = LinearizabilityChecker.Check(history, new CheckOptions { TotalTimeout = TimeSpan.FromTicks(1) });

        Assert.False(result.IsLinearizable);
        Assert.Equal(50, result.KeysTimedOut.Count);
    }

    [Theory]
    [InlineData(6, true)]
    [InlineData(2, false)]
    public void Check_SameValueWrittenTwice_ReadIsJudgedAgainstBothWrites(long secondWriteOfAInvokedAt, bool linearizable)
    {
        // Outside the harness's contract (values are unique), but the search itself must stay correct.
        Operation[] history =
        [
            Write(1, "x", "a", 0, 1),
            Write(2, "x", "b", 4, 5),
            Write(1, "x", "a", secondWriteOfAInvokedAt, secondWriteOfAInvokedAt + 1),
            Read(3, "x", "a", 8, 9),
        ];

        var result = LinearizabilityChecker.Check(history);

        Assert.Equal(linearizable, result.IsLinearizable);
    }

    [Fact]
    public void Check_WriteWithoutValue_Throws()
    {
        Operation[] history = [new(1, "x", OperationKind.Write, null, 0, 1, OperationOutcome.Ok)];

        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history));
    }

    [Fact]
    public void Check_OkOperationCompletedBeforeInvoked_Throws()
    {
        Operation[] history = [Write(1, "x", "a", 5, 4)];

        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history));
    }

    [Fact]
    public void Describe_Violation_ShowsVerdictKeyExplanationAndMinimalHistory()
    {
        Operation[] history = [Write(1, "x", "a", 1000, 2000), Read(2, "x", null, 3000, 4000), Write(1, "y", "b", 0, 1)];

        var report = LinearizabilityChecker.Check(history, new CheckOptions { TimestampsPerSecond = 1000 }).Describe();

        Assert.StartsWith("NOT linearizable: 1 of 2 keys violated, 0 timed out (3 operations checked).", report);
        Assert.Contains("Key \"x\": p2 read x -> not found", report);
        Assert.Contains("minimal history, 2 of 2 operations of the key", report);
        Assert.Contains("    p1 write x := \"a\" [+0.000000 s .. +1.000000 s] ok", report);
        Assert.Contains("    p2 read x -> not found [+2.000000 s .. +3.000000 s] ok", report);
    }

    [Fact]
    public void Describe_LinearizableHistory_SaysSo()
    {
        var report = LinearizabilityChecker.Check([Write(1, "x", "a", 0, 1)]).Describe();

        Assert.Equal("Linearizable: 1 keys, 1 operations checked.", report);
    }
}
