using DiMint.Dashboard.Monitoring;

namespace DiMint.Dashboard.Tests.Monitoring;

[Trait("Category", "Unit")]
public sealed class LoadRatesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Between_TwoSamples_GivesRatesCpuAndPercentiles()
    {
        var before = Load(reads: 100, writes: 50, cpuSeconds: 1, at: T0, buckets: new long[15]);
        var buckets = new long[15];
        buckets[4] = 99; // <= 1 ms
        buckets[9] = 1;  // <= 50 ms
        var after = Load(reads: 300, writes: 150, cpuSeconds: 2, at: T0.AddSeconds(2), buckets: buckets);

        var (reads, writes, cpu, p50, p99) = LoadRates.Between(before, after);

        Assert.Equal(100, reads);
        Assert.Equal(50, writes);
        Assert.Equal(25, cpu!.Value, 3); // 1 s of CPU over 2 s on 2 cores
        Assert.InRange(p50!.Value, 0.5, 1.0);
        Assert.InRange(p99!.Value, 0.5, 1.0);
    }

    [Fact]
    public void Percentile_OfAnEmptyHistogram_IsNull()
    {
        Assert.Null(LoadRates.Percentile(new long[15], 0.99));
    }

    [Theory]
    [InlineData(5, 300)]
    [InlineData(300, 5)]
    public void Between_ACounterThatWentBack_ASiloRestart_GivesNoRates(long readsAfter, long writesAfter)
    {
        // Before the restart: 100 reads and 100 writes. After it, one counter is back near zero while the other has
        // already grown past its old value: no rate, CPU or latency may come from the difference.
        var before = Load(reads: 100, writes: 100, cpuSeconds: 1, at: T0, buckets: Buckets(fast: 150, slow: 50));
        var after = Load(reads: readsAfter, writes: writesAfter, cpuSeconds: 3, at: T0.AddSeconds(1), buckets: Buckets(fast: 300, slow: 5));

        var (reads, writes, cpu, p50, p99) = LoadRates.Between(before, after);

        Assert.Equal(0, reads);
        Assert.Equal(0, writes);
        Assert.Null(cpu);
        Assert.Null(p50);
        Assert.Null(p99);
    }

    /// <summary>A latency histogram with <paramref name="fast"/> calls of at most 1 ms and <paramref name="slow"/> of at most 50 ms.</summary>
    private static long[] Buckets(long fast, long slow)
    {
        var buckets = new long[15];
        buckets[4] = fast;
        buckets[9] = slow;
        return buckets;
    }

    private static SiloLoad Load(long reads, long writes, double cpuSeconds, DateTimeOffset at, long[] buckets) => new()
    {
        Reads = reads,
        Writes = writes,
        Errors = 0,
        LatencyBuckets = buckets,
        LatencySumMicroseconds = 0,
        CpuTime = TimeSpan.FromSeconds(cpuSeconds),
        ProcessorCount = 2,
        SampledAt = at,
    };
}
