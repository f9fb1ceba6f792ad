using System.Globalization;
using System.Text;

namespace DiMint;

/// <summary>
/// Turns what callers pass as a key into the string the store keys by. Numbers, booleans and Guids become their
/// invariant-culture text (<c>1</c> and <c>"1"</c> reach the same entry; doubles keep round-trip precision).
/// </summary>
public static class DiMintKey
{
    /// <summary>Normalizes <paramref name="key"/> to its string form.</summary>
    /// <exception cref="InvalidKeyException">The key is null, empty or of an unsupported type.</exception>
    public static string Normalize(object? key)
    {
        var text = key switch
        {
            null => throw new InvalidKeyException("A key cannot be null."),
            string s => s,
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            short s16 => s16.ToString(CultureInfo.InvariantCulture),
            byte b => b.ToString(CultureInfo.InvariantCulture),
            uint u => u.ToString(CultureInfo.InvariantCulture),
            ulong ul => ul.ToString(CultureInfo.InvariantCulture),
            double d => FormatDouble(d),
            float f => FormatDouble(f),
            decimal m => m.ToString(CultureInfo.InvariantCulture),
            bool flag => flag ? "True" : "False",
            Guid g => g.ToString("D", CultureInfo.InvariantCulture),
            char c => c.ToString(),
            _ => throw new InvalidKeyException(
                $"Keys of type '{key.GetType().FullName}' are not supported; use a string, number, bool or Guid.",
                key.GetType().FullName),
        };
        if (text.Length == 0)
        {
            throw new InvalidKeyException("A key cannot be empty.", "System.String");
        }

        return text;
    }

    /// <summary>Checks the key's UTF-8 size against <paramref name="maxKeyBytes"/>.</summary>
    /// <exception cref="LimitExceededException">The key is too long.</exception>
    public static void CheckSize(string key, int maxKeyBytes)
    {
        if (!FitsSize(key, maxKeyBytes))
        {
            throw new LimitExceededException(LimitKind.KeySize, Encoding.UTF8.GetByteCount(key), maxKeyBytes);
        }
    }

    /// <summary>Whether the key's UTF-8 size is at most <paramref name="maxKeyBytes"/>.</summary>
    public static bool FitsSize(string key, int maxKeyBytes) =>
        // Cheap bound first: UTF-8 uses at most 3 bytes per UTF-16 char.
        (long)key.Length * 3 <= maxKeyBytes || Encoding.UTF8.GetByteCount(key) <= maxKeyBytes;

    private static string FormatDouble(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new InvalidKeyException($"A key cannot be {value.ToString(CultureInfo.InvariantCulture)}.", "System.Double");
        }

        // "R" keeps every bit: 2.0 -> "2", 2.5 -> "2.5", 0.1 -> "0.1".
        return value.ToString("R", CultureInfo.InvariantCulture);
    }
}
