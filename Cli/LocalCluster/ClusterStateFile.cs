using System.Text.Json;
using DiMint.Hosting;

namespace DiMint.Cli.LocalCluster;

/// <summary>
/// What <c>dimint up</c> records about the cluster it runs (in <c>$DIMINT_HOME</c>, default <c>~/.dimint</c>), so other
/// commands find its gateways and a second <c>up</c> sees it.
/// </summary>
internal sealed record ClusterStateFile
{
    public required int UpProcessId { get; init; }

    public required string[] Gateways { get; init; }

    public required int[] SiloProcessIds { get; init; }

    /// <summary>The ZooKeeper connection string the silos cluster through, or null for localhost clustering.</summary>
    public string? ZooKeeper { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The file holding the cluster's secret, which every client of it proves.</summary>
    public string? SecretFile { get; init; }

    /// <summary>The certificate authority of the cluster's TLS, when its silos run TLS (<c>up --tls-authority</c>); else null.</summary>
    public string? TlsAuthorityFile { get; init; }

    public static string Home =>
        Environment.GetEnvironmentVariable("DIMINT_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dimint");

    public static string PathName => Path.Combine(Home, "cluster.json");

    /// <summary>Where <c>dimint up</c> keeps its cluster's secret (readable by its user only) while the cluster runs.</summary>
    public static string SecretPath => Path.Combine(Home, "cluster.secret");

    /// <summary>The running cluster's state, or null when none runs (a stale file is ignored).</summary>
    public static ClusterStateFile? ReadRunning()
    {
        try
        {
            var state = JsonSerializer.Deserialize<ClusterStateFile>(File.ReadAllText(PathName));
            return state is not null && ParentProcess.IsRunning(state.UpProcessId) ? state : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write()
    {
        Directory.CreateDirectory(Home);
        var temp = PathName + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, PathName, overwrite: true);
    }

    public static void Delete(int ownerProcessId)
    {
        try
        {
            var state = JsonSerializer.Deserialize<ClusterStateFile>(File.ReadAllText(PathName));
            if (state?.UpProcessId == ownerProcessId)
            {
                File.Delete(PathName);
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            // Nothing to remove.
        }
    }
}
