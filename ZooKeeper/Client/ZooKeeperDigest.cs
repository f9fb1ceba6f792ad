namespace DiMint.ZooKeeper;

/// <summary>Reads the <c>user:password</c> of ZooKeeper's digest scheme from a file (a command line would show it to every user).</summary>
public static class ZooKeeperDigest
{
    /// <summary>The credentials in the file at <paramref name="path"/> (its whole text, surrounding white space ignored).</summary>
    /// <exception cref="FormatException">The file cannot be read, or does not hold <c>user:password</c>.</exception>
    public static string FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"The ZooKeeper credentials file '{path}' cannot be read: {ex.Message}", ex);
        }

        return text.IndexOf(':', StringComparison.Ordinal) > 0 && !text.EndsWith(':')
            ? text
            : throw new FormatException($"The ZooKeeper credentials file '{path}' must hold user:password.");
    }
}
