using System.Collections;
using System.Globalization;
using System.Text;
using DiMint.Resp.Commands;

namespace DiMint.Resp.Protocol;

/// <summary>
/// How DiMint's typed values meet Redis's byte strings. A value written through the Redis protocol is stored as an
/// integer when it is one in canonical form (as Redis keeps such strings; <c>007</c> stays text), as a string when it is
/// UTF-8, and as bytes otherwise, so <c>dimint get</c> and .NET apps read it with its type. Read back, strings, integers,
/// doubles and bytes are Redis strings; lists, dictionaries and sets are Redis lists, hashes and sets (their commands
/// read them; GET answers WRONGTYPE, as Redis does); null, booleans and collections that nest others, which Redis has no
/// type for, read as their JSON notation (<see cref="ValueJson"/>).
/// </summary>
internal static class RespValues
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What a Redis client's string is stored as.</summary>
    public static object FromRedis(byte[] bytes)
    {
        if (TryCanonicalInteger(bytes, out var integer))
        {
            return integer;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return bytes;
        }
    }

    /// <summary>A key from a Redis client: DiMint's keys are text, so it must be UTF-8.</summary>
    /// <exception cref="RespCommandException">It is not.</exception>
    public static string Key(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new RespCommandException("ERR DiMint keys are UTF-8 text; this key is not valid UTF-8");
        }
    }

    /// <summary>The Redis type of a stored value: string, list, hash or set.</summary>
    public static string TypeOf(object? value) => value switch
    {
        List<object?> when !Nests(value) => "list",
        Dictionary<object, object?> when !Nests(value) => "hash",
        HashSet<object?> when !Nests(value) => "set",
        _ => "string",
    };

    /// <summary>A value as a Redis string, when Redis would call it one (see the class).</summary>
    public static bool TryString(object? value, out byte[] bytes)
    {
        bytes = value switch
        {
            string s => Encoding.UTF8.GetBytes(s),
            long l => Encoding.ASCII.GetBytes(l.ToString(CultureInfo.InvariantCulture)),
            double d => Encoding.ASCII.GetBytes(FormatDouble(d)),
            byte[] b => b,
            null or bool => Encoding.UTF8.GetBytes(ValueJson.Format(value)),
            IEnumerable when Nests(value) => Encoding.UTF8.GetBytes(ValueJson.Format(value)),
            _ => [],
        };
        return TypeOf(value) == "string";
    }

    /// <summary>An element of a list, set or hash as a Redis string (a nested collection as its JSON notation).</summary>
    public static byte[] Element(object? value) =>
        TryString(value, out var bytes) ? bytes : Encoding.UTF8.GetBytes(ValueJson.Format(value));

    /// <summary>A double as Redis prints one: shortest round-trip form, <c>inf</c>, <c>-inf</c>, <c>nan</c>.</summary>
    public static string FormatDouble(double value) => value switch
    {
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        double.NaN => "nan",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>A 64-bit integer argument, as Redis parses one (no sign other than '-', no spaces, no leading zeros).</summary>
    public static bool TryCanonicalInteger(ReadOnlySpan<byte> bytes, out long value)
    {
        value = 0;
        if (bytes.Length is 0 or > 20)
        {
            return false;
        }

        var negative = bytes[0] == (byte)'-';
        var digits = negative ? bytes[1..] : bytes;
        if (digits.Length == 0 || (digits[0] == (byte)'0' && (digits.Length > 1 || negative)))
        {
            return false;
        }

        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return long.TryParse(bytes, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Whether a list, dictionary or set holds another collection (Redis's types hold strings only).</summary>
    private static bool Nests(object? value) => value switch
    {
        Dictionary<object, object?> map => map.Keys.Any(IsCollection) || map.Values.Any(IsCollection),
        IEnumerable items and not string and not byte[] => items.Cast<object?>().Any(IsCollection),
        _ => false,
    };

    private static bool IsCollection(object? value) => value is IEnumerable and not string and not byte[];
}
