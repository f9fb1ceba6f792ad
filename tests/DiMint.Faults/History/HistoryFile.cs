using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiMint.Faults.History;

/// <summary>
/// Histories as JSON lines: one <see cref="Operation"/> per line, so a client can append as it goes and a client
/// killed mid-write loses at most its last, unterminated line.
/// </summary>
public static class HistoryFile
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        // A line missing a field or with a null key is a broken record, not an operation with defaults.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Writes <paramref name="operation"/> as one line (terminated by <c>\n</c>).</summary>
    public static void Append(TextWriter writer, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(operation);

        // One Write call with the newline included, so the line is never split across two writes of ours.
        writer.Write(JsonSerializer.Serialize(operation, JsonOptions) + "\n");
    }

    /// <summary>
    /// Reads the operations of one file. A last line without its terminating newline that does not parse is skipped:
    /// that is what a client killed mid-write leaves behind.
    /// </summary>
    /// <exception cref="InvalidDataException">Any other line is not a valid operation.</exception>
    public static IReadOnlyList<Operation> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = File.ReadAllText(path);
        var operations = new List<Operation>();
        var lineNumber = 0;
        var start = 0;
        while (start < text.Length)
        {
            lineNumber++;
            var end = text.IndexOf('\n', start);
            var terminated = end >= 0;
            var line = text.AsSpan(start, (terminated ? end : text.Length) - start).Trim();
            start = terminated ? end + 1 : text.Length;
            if (line.IsEmpty)
            {
                continue;
            }

            try
            {
                operations.Add(JsonSerializer.Deserialize<Operation>(line, JsonOptions)
                    ?? throw new JsonException("The line is the JSON literal null."));
            }
            catch (JsonException) when (!terminated)
            {
                // Truncated last line: the operation was never completely recorded.
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a valid operation: {e.Message}", e);
            }
        }

        return operations;
    }

    /// <summary>Reads and concatenates several files (e.g. one per client process).</summary>
    public static IReadOnlyList<Operation> ReadAll(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var operations = new List<Operation>();
        foreach (var path in paths)
        {
            operations.AddRange(Read(path));
        }

        return operations;
    }
}
