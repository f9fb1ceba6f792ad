using System.Globalization;

namespace DiMint.Faults;

/// <summary>The harness's command line: a mode, then <c>--name value</c> pairs (a repeated name keeps every value, comma-joined).</summary>
internal static class Arguments
{
    public static (string Mode, IReadOnlyDictionary<string, string> Options, int? Parent) Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string? mode = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                options[args[i]] = options.TryGetValue(args[i], out var earlier) ? $"{earlier},{args[i + 1]}" : args[i + 1];
                i++;
            }
            else
            {
                mode ??= args[i];
            }
        }

        int? parent = options.Remove("--parent-pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null;
        return (mode ?? "", options, parent);
    }
}
