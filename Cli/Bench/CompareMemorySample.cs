namespace DiMint.Cli.Bench;

/// <summary>
/// <c>SYSTEM.memory.json</c> in a comparison's raw folder, written by <c>bench/compare.sh</c>: how the store was set up,
/// and the summed RSS of its processes before and after the keys of <c>SYSTEM.load.json</c> were loaded.
/// </summary>
internal sealed record CompareMemorySample
{
    public string? Label { get; init; }

    public string? Shape { get; init; }

    public string? Version { get; init; }

    public int Processes { get; init; }

    public long RssBeforeBytes { get; init; }

    public long RssAfterBytes { get; init; }
}
