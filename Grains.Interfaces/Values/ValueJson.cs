using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DiMint;

/// <summary>
/// The JSON notation the admin console and the web client use for typed values. Plain JSON maps to the obvious
/// types (integers without a fraction stay integers, numbers with one are doubles); three object forms carry what
/// JSON cannot say by itself:
/// <list type="bullet">
/// <item><c>{"$set": [1, 2, 3]}</c> — a set;</item>
/// <item><c>{"$bytes": "AAEC"}</c> — bytes, base64;</item>
/// <item><c>{"$dict": [[1, "one"], [2.5, "two and a half"]]}</c> — a dictionary with non-string keys;</item>
/// <item><c>{"$double": "NaN"}</c> — a double JSON has no number for (NaN, Infinity, -Infinity).</item>
/// </list>
/// <see cref="Format"/> writes values in this notation, so what it prints <see cref="Parse"/> reads back as the same value.
/// </summary>
public static class ValueJson
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = ValueCodec.MaxDepth + 2 };

    /// <summary>Parses a value from the notation.</summary>
    /// <exception cref="FormatException">The text is not valid JSON or misuses a <c>$</c> form.</exception>
    public static object? Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, ParseOptions);
            return FromElement(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Formats a decoded value (see <see cref="ValueCodec.Decode"/>) in the notation.</summary>
    public static string Format(object? value, bool indented = false)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, SkipValidation = false }))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static object? FromElement(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                {
                    var raw = element.GetRawText();
                    if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && element.TryGetInt64(out var integer))
                    {
                        return integer;
                    }

                    return element.GetDouble();
                }
            case JsonValueKind.Array:
                {
                    var list = new List<object?>(element.GetArrayLength());
                    foreach (var item in element.EnumerateArray())
                    {
                        list.Add(FromElement(item));
                    }

                    return list;
                }
            case JsonValueKind.Object:
                return FromObject(element);
            default:
                throw new FormatException($"Unexpected JSON token {element.ValueKind}.");
        }
    }

    private static object? FromObject(JsonElement element)
    {
        var count = element.EnumerateObject().Count();
        var first = count == 1 ? element.EnumerateObject().First() : default;
        if (count == 1 && first.Name is { Length: > 1 } name && name[0] == '$')
        {
            switch (name)
            {
                case "$set":
                    {
                        if (first.Value.ValueKind != JsonValueKind.Array)
                        {
                            throw new FormatException("\"$set\" takes an array: {\"$set\": [1, 2, 3]}.");
                        }

                        var set = new HashSet<object?>(ValueComparer.Instance);
                        foreach (var item in first.Value.EnumerateArray())
                        {
                            set.Add(FromElement(item));
                        }

                        return set;
                    }

                case "$bytes":
                    {
                        if (first.Value.ValueKind != JsonValueKind.String)
                        {
                            throw new FormatException("\"$bytes\" takes a base64 string: {\"$bytes\": \"AAEC\"}.");
                        }

                        try
                        {
                            return System.Convert.FromBase64String(first.Value.GetString()!);
                        }
                        catch (FormatException ex)
                        {
                            throw new FormatException("\"$bytes\" is not valid base64.", ex);
                        }
                    }

                case "$dict":
                    return FromPairs(first.Value);
                case "$double":
                    {
                        var text = first.Value.ValueKind == JsonValueKind.String ? first.Value.GetString() : null;
                        return text switch
                        {
                            "NaN" => double.NaN,
                            "Infinity" => double.PositiveInfinity,
                            "-Infinity" => double.NegativeInfinity,
                            _ => throw new FormatException("\"$double\" takes \"NaN\", \"Infinity\" or \"-Infinity\"."),
                        };
                    }

                default:
                    throw new FormatException(
                        $"Unknown form \"{name}\"; use $set, $bytes, $dict or $double (or {{\"$dict\": [[\"{name}\", ...]]}} for a dictionary with that key).");
            }
        }

        var map = new Dictionary<object, object?>(ValueComparer.Instance);
        foreach (var property in element.EnumerateObject())
        {
            map[property.Name] = FromElement(property.Value);
        }

        return map;
    }

    private static Dictionary<object, object?> FromPairs(JsonElement pairs)
    {
        const string Usage = "\"$dict\" takes an array of [key, value] pairs: {\"$dict\": [[1, \"one\"]]}.";
        if (pairs.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException(Usage);
        }

        var map = new Dictionary<object, object?>(ValueComparer.Instance);
        foreach (var pair in pairs.EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
            {
                throw new FormatException(Usage);
            }

            var key = FromElement(pair[0]);
            if (key is null or List<object?> or HashSet<object?> or Dictionary<object, object?> or byte[])
            {
                throw new FormatException("A \"$dict\" key must be a string, integer, double or bool.");
            }

            map[key] = FromElement(pair[1]);
        }

        return map;
    }

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                WriteDouble(writer, d);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case byte[] bytes:
                writer.WriteStartObject();
                writer.WriteString("$bytes", System.Convert.ToBase64String(bytes));
                writer.WriteEndObject();
                break;
            case HashSet<object?> set:
                writer.WriteStartObject();
                writer.WritePropertyName("$set");
                WriteArray(writer, set);
                writer.WriteEndObject();
                break;
            case Dictionary<object, object?> map:
                WriteMap(writer, map);
                break;
            case List<object?> list:
                WriteArray(writer, list);
                break;
            default:
                throw new ArgumentException($"Not a decoded DiMint value: {value.GetType().FullName}.", nameof(value));
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, IEnumerable<object?> items)
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            Write(writer, item);
        }

        writer.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter writer, Dictionary<object, object?> map)
    {
        // Plain JSON objects only say string keys; a lone "$" key would read back as a special form.
        var plain = map.Keys.All(k => k is string) && !(map.Count == 1 && map.Keys.First() is string { Length: > 1 } only && only[0] == '$');
        writer.WriteStartObject();
        if (plain)
        {
            foreach (var (key, item) in map)
            {
                writer.WritePropertyName((string)key);
                Write(writer, item);
            }
        }
        else
        {
            writer.WritePropertyName("$dict");
            writer.WriteStartArray();
            foreach (var (key, item) in map)
            {
                writer.WriteStartArray();
                Write(writer, key);
                Write(writer, item);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteDouble(Utf8JsonWriter writer, double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            writer.WriteStartObject();
            writer.WriteString("$double", double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            writer.WriteEndObject();
            return;
        }

        // Keep a visible fraction or exponent so the number reads back as a double, not an integer.
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOfAny(['.', 'E', 'e']) < 0)
        {
            text += ".0";
        }

        writer.WriteRawValue(text, skipInputValidation: true);
    }
}
