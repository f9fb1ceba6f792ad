using System.Text.Json.Serialization;

namespace DiMint.Dashboard.Api;

/// <summary>
/// A stored value with the DiMint type of every part, for the web test client: <c>{"type": "set", "items": [{"type":
/// "integer", "value": 1}]}</c>.
/// </summary>
public sealed record TypedValue
{
    /// <summary>null, bool, integer, double, string, bytes, list, set or dictionary.</summary>
    public required string Type { get; init; }

    /// <summary>The scalar's value (bytes as base64; doubles JSON cannot hold as text).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public object? Value { get; init; }

    /// <summary>A list's or set's elements.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TypedValue>? Items { get; init; }

    /// <summary>A dictionary's entries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TypedEntry>? Entries { get; init; }

    /// <summary>Describes a decoded value (see <see cref="ValueCodec.Decode"/>).</summary>
    public static TypedValue Of(object? value) => value switch
    {
        null => new TypedValue { Type = "null" },
        bool b => new TypedValue { Type = "bool", Value = b },
        long l => new TypedValue { Type = "integer", Value = l },
        double d => new TypedValue { Type = "double", Value = double.IsFinite(d) ? d : d.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        string s => new TypedValue { Type = "string", Value = s },
        byte[] bytes => new TypedValue { Type = "bytes", Value = Convert.ToBase64String(bytes) },
        HashSet<object?> set => new TypedValue { Type = "set", Items = [.. set.Select(Of)] },
        Dictionary<object, object?> map => new TypedValue { Type = "dictionary", Entries = [.. map.Select(p => new TypedEntry(Of(p.Key), Of(p.Value)))] },
        List<object?> list => new TypedValue { Type = "list", Items = [.. list.Select(Of)] },
        _ => new TypedValue { Type = ValueCodec.KindOf(value), Value = value.ToString() },
    };
}
