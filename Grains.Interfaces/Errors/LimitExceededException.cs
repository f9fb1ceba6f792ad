namespace DiMint;

/// <summary>A key or value is over its configured limit; nothing was stored.</summary>
[GenerateSerializer]
public sealed class LimitExceededException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public LimitExceededException(LimitKind limit, long actual, long maximum)
        : base(DiMintErrorCode.LimitExceeded, Describe(limit, actual, maximum))
    {
        Limit = limit;
        Actual = actual;
        Maximum = maximum;
    }

    /// <summary>Which limit.</summary>
    [Id(0)]
    public LimitKind Limit { get; private set; }

    /// <summary>The size (bytes, or nesting levels) that was offered.</summary>
    [Id(1)]
    public long Actual { get; private set; }

    /// <summary>The configured maximum.</summary>
    [Id(2)]
    public long Maximum { get; private set; }

    private static string Describe(LimitKind limit, long actual, long maximum) => limit switch
    {
        LimitKind.KeySize => $"Key is {actual} bytes (UTF-8); the limit is {maximum} bytes.",
        LimitKind.ValueSize => $"Value is {actual} bytes encoded; the limit is {maximum} bytes.",
        _ => $"Value nests {actual} levels deep; the limit is {maximum}.",
    };
}
