using System.Globalization;
using System.Text;

namespace DiMint.ZooKeeper.Storage;

/// <summary>
/// Turns any string (a grain id such as <c>ring/0</c>) into one valid znode name: letters, digits, '-' and '_' stay;
/// every other UTF-8 byte becomes <c>%XX</c> (so '/', '.', '%' and control characters never reach the path).
/// </summary>
internal static class ZnodeName
{
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return "%";
        }

        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
