using HdrHistogram;

namespace DiMint.Cli.Bench;

/// <summary>One kind of operation's figures over the measured run; latencies in milliseconds.</summary>
internal sealed record LatencySummary(
    long Operations,
    long Errors,
    double OpsPerSecond,
    double Mean,
    double P50,
    double P90,
    double P99,
    double P999,
    double Max)
{
    public static LatencySummary From(LongHistogram micros, long errors, double seconds)
    {
        if (micros.TotalCount == 0)
        {
            return new LatencySummary(0, errors, 0, 0, 0, 0, 0, 0, 0);
        }

        return new LatencySummary(
            micros.TotalCount,
            errors,
            seconds > 0 ? micros.TotalCount / seconds : 0,
            micros.GetMean() / 1000,
            Millis(micros, 50),
            Millis(micros, 90),
            Millis(micros, 99),
            Millis(micros, 99.9),
            micros.GetMaxValue() / 1000.0);
    }

    private static double Millis(LongHistogram micros, double percentile) => micros.GetValueAtPercentile(percentile) / 1000.0;
}
