namespace DiMint.Cli.Bench;

/// <summary>One workload of a comparison and every store's figures for it.</summary>
/// <param name="Id">The name in the raw file names (<c>mixed</c>, <c>write</c>).</param>
internal sealed record CompareWorkload(
    string Id,
    string Name,
    double ReadRatio,
    int ValueSize,
    long Keys,
    int Concurrency,
    double? Seconds,
    string Distribution,
    IReadOnlyList<CompareRow> Rows);
