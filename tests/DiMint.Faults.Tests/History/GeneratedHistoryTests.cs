using System.Diagnostics;
using DiMint.Faults.History;
using Xunit.Abstractions;

namespace DiMint.Faults.Tests.History;

/// <summary>
/// Large histories from a simulated correct store (<see cref="RandomHistory"/>), at the scale of a fault-injection
/// run, with and without a planted anomaly.
/// </summary>
[Trait("Category", "Unit")]
public sealed class GeneratedHistoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Check_GeneratedHistoryOf200kOperationsOver1000Keys_IsLinearizable()
    {
        var history = RandomHistory.Generate(seed: 1, processes: 10, keys: 1000, operations: 200_000);
        var unknownWrites = history.Count(o => o.Outcome == OperationOutcome.Unknown && o.Kind == OperationKind.Write);

        var stopwatch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine($"{history.Count} operations ({unknownWrites} unknown writes) checked in {stopwatch.Elapsed.TotalSeconds:F2} s");

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(1000, result.KeysChecked);
        Assert.InRange(result.OperationsChecked, 190_000, 200_000);
    }

    [Fact]
    public void Check_GeneratedHotKeyHistoryWithTenConcurrentProcesses_IsLinearizable()
    {
        var history = RandomHistory.Generate(seed: 2, processes: 10, keys: 4, operations: 20_000, unknownRate: 0.01);

        var stopwatch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine($"{history.Count} operations on 4 keys checked in {stopwatch.Elapsed.TotalSeconds:F2} s");

        Assert.True(result.IsLinearizable, result.Describe());
    }

    [Fact]
    public void Check_GeneratedHistoryWithOnePlantedStaleRead_ReportsItsKeyWithASmallHistory()
    {
        var clean = RandomHistory.Generate(seed: 3, processes: 10, keys: 1000, operations: 200_000);
        var (history, staleRead, _) = RandomHistory.PlantStaleRead(clean, seed: 3);

        var stopwatch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine($"checked and shrunk in {stopwatch.Elapsed.TotalSeconds:F2} s");
        output.WriteLine(result.Describe());

        Assert.False(result.IsLinearizable);
        var violation = Assert.Single(result.Violations);
        Assert.Equal(staleRead.Key, violation.Key);
        Assert.Contains(staleRead, violation.MinimalHistory);
        Assert.InRange(violation.MinimalHistory.Count, 2, 4);
        Assert.True(violation.IsMinimal);
    }

    [Fact]
    public void Check_PlantedStaleReadInLongConcurrentKeyHistory_ShrinksToAtMostFourOperations()
    {
        var clean = RandomHistory.Generate(seed: 4, processes: 10, keys: 1, operations: 3_000, unknownRate: 0.02);
        var (history, staleRead, _) = RandomHistory.PlantStaleRead(clean, seed: 4);

        var result = LinearizabilityChecker.Check(history);
        output.WriteLine(result.Describe());

        var violation = Assert.Single(result.Violations);
        Assert.InRange(violation.KeyOperationCount, 2_500, 3_000);
        Assert.Contains(staleRead, violation.MinimalHistory);
        Assert.InRange(violation.MinimalHistory.Count, 2, 4);
        Assert.Contains("cannot be linearized", violation.Explanation);
    }

    [Fact]
    public void Check_GeneratedHistoryWithOriginalReadRestored_IsLinearizable()
    {
        // The control for the planted tests: the same history and key, with the read as the store returned it.
        var clean = RandomHistory.Generate(seed: 4, processes: 10, keys: 1, operations: 3_000, unknownRate: 0.02);
        var (history, staleRead, original) = RandomHistory.PlantStaleRead(clean, seed: 4);
        var restored = history.Select(o => ReferenceEquals(o, staleRead) ? original : o).ToList();

        var result = LinearizabilityChecker.Check(restored);

        Assert.True(result.IsLinearizable, result.Describe());
    }
}
