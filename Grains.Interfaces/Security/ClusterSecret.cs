using System.Security.Cryptography;
using System.Text;

namespace DiMint;

/// <summary>
/// The secret every silo and client of one cluster shares. A connection to a silo (its silo port, its gateway, its data
/// port) proves it before anything else is read (<see cref="ClusterHandshake"/>), and the silo proves it back. The secret
/// itself never travels: each side sends an HMAC-SHA256 of both sides' fresh nonces under it.
/// </summary>
public sealed class ClusterSecret
{
    /// <summary>The fewest characters a secret may have.</summary>
    public const int MinLength = 16;

    private readonly byte[] _key;

    private ClusterSecret(byte[] key) => _key = key;

    /// <summary>The secret <paramref name="text"/> (surrounding white space ignored).</summary>
    /// <exception cref="FormatException">Shorter than <see cref="MinLength"/> characters.</exception>
    public static ClusterSecret Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length < MinLength)
        {
            throw new FormatException($"A cluster secret needs at least {MinLength} characters; this one has {trimmed.Length}.");
        }

        return new ClusterSecret(Encoding.UTF8.GetBytes(trimmed));
    }

    /// <summary>The secret kept in the file at <paramref name="path"/> (its whole text, surrounding white space ignored).</summary>
    /// <exception cref="FormatException">The file cannot be read, or holds too short a secret.</exception>
    public static ClusterSecret FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"The cluster secret file '{path}' cannot be read: {ex.Message}", ex);
        }

        try
        {
            return Parse(text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"The cluster secret file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The secret given as <paramref name="text"/> or in the file <paramref name="file"/>, or null when neither is set.
    /// </summary>
    /// <exception cref="FormatException">Both are set, or the one given is not a valid secret.</exception>
    public static ClusterSecret? From(string? text, string? file) =>
        (string.IsNullOrWhiteSpace(text), string.IsNullOrWhiteSpace(file)) switch
        {
            (true, true) => null,
            (false, true) => Parse(text!),
            (true, false) => FromFile(file!),
            _ => throw new FormatException("Give the cluster secret or its file, not both."),
        };

    /// <summary>
    /// Whether <paramref name="password"/> (UTF-8, surrounding white space ignored) is this secret, compared in constant
    /// time: for protocols whose clients can only send a password (the Redis protocol's AUTH).
    /// </summary>
    public bool Matches(ReadOnlySpan<byte> password)
    {
        // A password read with `cat` from a secret file an earlier version wrote with a byte-order mark.
        if (password.StartsWith("\uFEFF"u8))
        {
            password = password[3..];
        }

        while (password.Length > 0 && char.IsWhiteSpace((char)password[0]))
        {
            password = password[1..];
        }

        while (password.Length > 0 && char.IsWhiteSpace((char)password[^1]))
        {
            password = password[..^1];
        }

        return CryptographicOperations.FixedTimeEquals(_key, password);
    }

    /// <summary>A new random secret (256 bits, base64url: 43 characters).</summary>
    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Writes a new secret to <paramref name="path"/>, readable by its owner only, and returns it.</summary>
    public static ClusterSecret CreateFile(string path)
    {
        var text = Generate();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
        {
            writer.Write(text);
        }

        return Parse(text);
    }

    /// <summary>The proof of one side (<paramref name="role"/>) for the two nonces of one handshake.</summary>
    internal byte[] Prove(byte role, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> clientNonce)
    {
        Span<byte> message = stackalloc byte[1 + serverNonce.Length + clientNonce.Length];
        message[0] = role;
        serverNonce.CopyTo(message[1..]);
        clientNonce.CopyTo(message[(1 + serverNonce.Length)..]);
        return HMACSHA256.HashData(_key, message);
    }
}
