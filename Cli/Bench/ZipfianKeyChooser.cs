namespace DiMint.Cli.Bench;

/// <summary>
/// Zipf-distributed key indexes: index i is drawn with probability proportional to 1 / (i + 1)^theta. The method of
/// Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB uses it. Index 0 is
/// the hottest key; the store hashes key names, so hot keys still land on ranges all over the ring.
/// </summary>
internal sealed class ZipfianKeyChooser : KeyChooser
{
    private readonly long _keys;
    private readonly double _zetaN;
    private readonly double _alpha;
    private readonly double _eta;
    private readonly double _halfPowTheta;

    public ZipfianKeyChooser(long keys, double theta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keys, 1);
        if (theta is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "Theta must be between 0 and 1, exclusive.");
        }

        _keys = keys;
        _zetaN = Zeta(keys, theta);
        _alpha = 1 / (1 - theta);
        _halfPowTheta = Math.Pow(0.5, theta);
        var zeta2 = 1 + _halfPowTheta;
        _eta = keys == 1 ? 0 : (1 - Math.Pow(2.0 / keys, 1 - theta)) / (1 - (zeta2 / _zetaN));
    }

    public override long Next(Random random)
    {
        var u = random.NextDouble();
        var uz = u * _zetaN;
        if (uz < 1)
        {
            return 0;
        }

        if (uz < 1 + _halfPowTheta)
        {
            return Math.Min(1, _keys - 1);
        }

        var index = (long)(_keys * Math.Pow((_eta * u) - _eta + 1, _alpha));
        return Math.Clamp(index, 0, _keys - 1);
    }

    private static double Zeta(long n, double theta)
    {
        // O(n), once per run: a tenth of a second for ten million keys.
        var sum = 0.0;
        for (long i = 1; i <= n; i++)
        {
            sum += 1 / Math.Pow(i, theta);
        }

        return sum;
    }
}
