namespace DiMint.ZooKeeper;

/// <summary>Path rules of ZooKeeper (PathUtils.validatePath) and chroot handling.</summary>
internal static class ZooKeeperPath
{
    public static void Validate(string path, bool isSequential = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '/')
        {
            throw new ArgumentException($"A ZooKeeper path must start with '/': '{path}'.", nameof(path));
        }

        if (path.Length == 1)
        {
            return;
        }

        if (path[^1] == '/' && !isSequential)
        {
            throw new ArgumentException($"A ZooKeeper path must not end with '/': '{path}'.", nameof(path));
        }

        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var isLast = i == segments.Length - 1;
            if (segment.Length == 0 && !(isLast && isSequential))
            {
                throw new ArgumentException($"A ZooKeeper path must not contain empty segments: '{path}'.", nameof(path));
            }

            if (segment is "." or "..")
            {
                throw new ArgumentException($"A ZooKeeper path must not contain relative segments: '{path}'.", nameof(path));
            }

            foreach (var c in segment)
            {
                if (c == '\0' || (c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
                    || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff'))
                {
                    throw new ArgumentException($"A ZooKeeper path contains an invalid character: '{path}'.", nameof(path));
                }
            }
        }
    }

    public static string AddChroot(string? chroot, string path)
    {
        if (chroot is null)
        {
            return path;
        }

        return path == "/" ? chroot : chroot + path;
    }

    public static string RemoveChroot(string? chroot, string serverPath)
    {
        if (chroot is null)
        {
            return serverPath;
        }

        if (serverPath == chroot)
        {
            return "/";
        }

        return serverPath.StartsWith(chroot + "/", StringComparison.Ordinal) ? serverPath[chroot.Length..] : serverPath;
    }

    /// <summary>The parent of <paramref name="path"/>, or null for the root.</summary>
    public static string? Parent(string path)
    {
        if (path == "/")
        {
            return null;
        }

        var index = path.LastIndexOf('/');
        return index == 0 ? "/" : path[..index];
    }
}
