using DiMint.Faults.History;
using static DiMint.Faults.Tests.History.Ops;

namespace DiMint.Faults.Tests.History;

/// <summary>Counters (keys of increments) under the checker: an increment adds exactly one, once, and answers its own result.</summary>
[Trait("Category", "Unit")]
public sealed class CounterHistoryTests
{
    [Fact]
    public void ConcurrentIncrements_WithAnUnknownOne_AreLinearizable()
    {
        Operation[] history =
        [
            Increment(1, "c", 2, 0, 10),
            Increment(2, "c", 1, 1, 5),
            UnknownIncrement(3, "c", 2, 4),
            Read(1, "c", "3", 11, 12),
            Increment(2, "c", 4, 13, 14),
            Read(3, "c", "4", 15, 16),
        ];

        var result = LinearizabilityChecker.Check(history);
        Assert.True(result.IsLinearizable, result.Describe());
    }

    [Theory]
    [InlineData("two increments answered the same result", new[] { 1L, 1L }, "2")]
    [InlineData("an acknowledged increment lost", new[] { 1L, 2L }, "1")]
    [InlineData("an increment applied twice", new[] { 1L, 2L }, "3")]
    public void BrokenCounters_AreNotLinearizable(string what, long[] results, string finalRead)
    {
        Operation[] history =
        [
            Increment(1, "c", results[0], 0, 1),
            Increment(2, "c", results[1], 2, 3),
            Read(1, "c", finalRead, 4, 5),
        ];

        var result = LinearizabilityChecker.Check(history);
        Assert.False(result.IsLinearizable, what);
        Assert.Equal("c", Assert.Single(result.Violations).Key);
    }

    [Fact]
    public void AnUnknownIncrement_MayOrMayNotHaveTakenEffect_ButNotTwice()
    {
        Operation[] once = [UnknownIncrement(1, "c", 0, 1), Read(2, "c", "1", 2, 3)];
        Operation[] never = [UnknownIncrement(1, "c", 0, 1), Read(2, "c", null, 2, 3)];
        Operation[] twice = [UnknownIncrement(1, "c", 0, 1), Read(2, "c", "2", 2, 3)];

        Assert.True(LinearizabilityChecker.Check(once).IsLinearizable);
        Assert.True(LinearizabilityChecker.Check(never).IsLinearizable);
        Assert.False(LinearizabilityChecker.Check(twice).IsLinearizable);
    }
}
