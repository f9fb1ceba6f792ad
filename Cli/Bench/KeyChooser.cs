namespace DiMint.Cli.Bench;

/// <summary>Picks key indexes in <c>[0, keys)</c>; immutable, so workers share one and bring their own random source.</summary>
internal abstract class KeyChooser
{
    public abstract long Next(Random random);

    public static KeyChooser Create(KeyDistribution distribution, long keys) => distribution switch
    {
        KeyDistribution.Uniform => new UniformKeyChooser(keys),
        KeyDistribution.Zipfian => new ZipfianKeyChooser(keys, BenchSettings.ZipfianTheta),
        _ => throw new ArgumentOutOfRangeException(nameof(distribution), distribution, null),
    };

    private sealed class UniformKeyChooser(long keys) : KeyChooser
    {
        public override long Next(Random random) => random.NextInt64(keys);
    }
}
