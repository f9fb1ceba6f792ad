namespace DiMint;

/// <summary>One range's part of a <see cref="ISiloBatchService"/> batch: keys to read and entries to write.</summary>
[GenerateSerializer, Immutable, Alias("DiMint.RangeBatch")]
public sealed record RangeBatch
{
    /// <summary>The range's master grain (<see cref="RangeInfo.GrainKey"/>).</summary>
    [Id(0)]
    public required string GrainKey { get; init; }

    /// <summary>Keys to read (one <see cref="IRangeGrain.GetManyAsync"/>).</summary>
    [Id(1)]
    public string[] ReadKeys { get; init; } = [];

    /// <summary>Keys to write, in call order; a key may repeat and the last value wins (one <see cref="IRangeGrain.SetManyAsync"/>).</summary>
    [Id(2)]
    public string[] WriteKeys { get; init; } = [];

    /// <summary>The encoded values of <see cref="WriteKeys"/>, in the same order.</summary>
    [Id(3)]
    public byte[][] WriteValues { get; init; } = [];

    /// <summary>
    /// Runs this part on <paramref name="range"/>: the writes (one <see cref="IRangeGrain.SetManyAsync"/>) and the
    /// reads (one <see cref="IRangeGrain.GetManyAsync"/>) at once, each side's error caught into the result.
    /// </summary>
    public async Task<RangeBatchResult> RunAsync(IRangeGrain range, long ringVersion)
    {
        ArgumentNullException.ThrowIfNull(range);

        // The write is sent first, so a read batched with it usually sees it; concurrent callers are promised no order.
        var writes = WriteKeys.Length > 0 ? Capture(range.SetManyAsync(WriteKeys, WriteValues, ringVersion)) : null;
        var reads = ReadKeys.Length > 0 ? Capture(range.GetManyAsync(ReadKeys, ringVersion)) : null;
        var (written, writeError) = writes is null ? default : await writes.ConfigureAwait(false);
        var (read, readError) = reads is null ? default : await reads.ConfigureAwait(false);
        return new RangeBatchResult { Reads = read, ReadError = readError, Writes = written, WriteError = writeError };
    }

    private static async Task<(T? Result, Exception? Error)> Capture<T>(Task<T> call)
        where T : class
    {
        try
        {
            return (await call.ConfigureAwait(false), null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }
}
