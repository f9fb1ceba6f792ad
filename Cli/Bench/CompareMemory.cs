namespace DiMint.Cli.Bench;

/// <summary>
/// What storing the same keys cost a store: the resident memory (RSS) of all its processes before and after loading,
/// primaries and replicas alike.
/// </summary>
/// <param name="DataBytes">Key and value bytes of the keys loaded, counted once.</param>
/// <param name="BytesPerKey">(RSS after − RSS before) / keys.</param>
/// <param name="RssPerDataByte">RSS after / data bytes.</param>
internal sealed record CompareMemory(
    string System,
    int Processes,
    long Keys,
    int ValueSize,
    long DataBytes,
    long RssBeforeBytes,
    long RssAfterBytes,
    double BytesPerKey,
    double RssPerDataByte);
