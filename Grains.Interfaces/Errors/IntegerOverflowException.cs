namespace DiMint;

/// <summary>An increment would take an integer outside the 64-bit signed range; nothing was changed.</summary>
[GenerateSerializer]
public sealed class IntegerOverflowException : DiMintException
{
    /// <summary>Creates the exception.</summary>
    public IntegerOverflowException(string key, long value, long delta)
        : base(DiMintErrorCode.IntegerOverflow, $"Adding {delta} to the integer {value} under '{key}' would overflow 64 bits.")
    {
        Key = key;
        Value = value;
        Delta = delta;
    }

    /// <summary>The key.</summary>
    [Id(0)]
    public string Key { get; private set; }

    /// <summary>The integer stored.</summary>
    [Id(1)]
    public long Value { get; private set; }

    /// <summary>The increment asked for.</summary>
    [Id(2)]
    public long Delta { get; private set; }
}
