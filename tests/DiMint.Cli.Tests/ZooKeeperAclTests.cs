using System.Text;
using DiMint.Client;
using DiMint.Testing.Processes;
using DiMint.Testing.ZooKeeper;
using DiMint.ZooKeeper;

namespace DiMint.Cli.Tests;

/// <summary>
/// A cluster told a ZooKeeper user (<c>dimint up --zookeeper-auth-file</c>, real silo processes) creates its missing
/// chroot and keeps every znode of its own behind that user's digest ACL: nobody else reads the ring or the membership.
/// </summary>
[Trait("Category", "Process")]
public sealed class ZooKeeperAclTests
{
    [Fact]
    public async Task WithAZooKeeperUser_TheClustersZnodesAreThatUsersOnly_UnderAChrootItCreated()
    {
        await using var zooKeeper = await ZooKeeperEnsemble.StartStandaloneAsync();
        var home = Directory.CreateTempSubdirectory("dimint-zk-acl-").FullName;
        var authFile = Path.Combine(home, "zookeeper.auth");
        await File.WriteAllTextAsync(authFile, "dimint:zk-pass-42\n");
        var chroot = "/acl-test/cluster";
        var connection = zooKeeper.ConnectionString + chroot;

        await using var cluster = await LocalClusterProcess.StartAsync(2, "--zookeeper", connection, "--zookeeper-auth-file", authFile);
        await using (var client = await DimintClient.ConnectAsync(new DimintClientOptions
        {
            ZooKeeper = connection,
            ZooKeeperDigest = "dimint:zk-pass-42",
            ClusterSecretFile = cluster.SecretFile,
        }))
        {
            await client.SetAsync("acl", "kept");
            Assert.Equal("kept", await client.GetAsync<string>("acl"));
        }

        // The console, given the same file, finds the cluster through ZooKeeper.
        var status = await cluster.Cli.RunAsync("--zookeeper", connection, "--zookeeper-auth-file", authFile, "get", "acl");
        Assert.True(status.ExitCode == 0, status.ToString());

        // Without the ZooKeeper user, or with another password, a client and the console are told so, at once.
        foreach (var digest in new string?[] { null, "dimint:not-the-password" })
        {
            var refused = await Assert.ThrowsAsync<UnauthorizedException>(() => DimintClient.ConnectAsync(new DimintClientOptions
            {
                ZooKeeper = connection,
                ZooKeeperDigest = digest,
                ClusterSecretFile = cluster.SecretFile,
            }));
            Assert.Contains("NoAuth", refused.Message, StringComparison.Ordinal);
        }

        var wrongAuth = Path.Combine(home, "wrong.auth");
        await File.WriteAllTextAsync(wrongAuth, "dimint:not-the-password");
        var denied = await cluster.Cli.RunAsync("--zookeeper", connection, "--zookeeper-auth-file", wrongAuth, "get", "acl");
        Assert.True(denied.ExitCode == 4, denied.ToString());
        Assert.Contains("ZooKeeper user", denied.Error, StringComparison.Ordinal);

        // Every znode under the chroot (which did not exist) answers its owner, and nobody else.
        await using var owner = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connection, Digest = "dimint:zk-pass-42" });
        await using var stranger = await ZooKeeperClient.ConnectAsync(zooKeeper.ConnectionString);
        var znodes = await AllAsync(owner, "/");
        Assert.True(znodes.Count >= 3, $"znodes under {chroot}: {string.Join(", ", znodes)}");
        foreach (var znode in znodes.Prepend("/"))
        {
            var path = znode == "/" ? chroot : chroot + znode;
            var refused = await Assert.ThrowsAnyAsync<ZooKeeperException>(() => stranger.GetDataAsync(path));
            Assert.True(refused.Code == ZooKeeperErrorCode.NoAuth, $"{path}: {refused.Code}");
        }

        await Assert.ThrowsAnyAsync<ZooKeeperException>(() => stranger.CreateAsync(chroot + "/intruder", Encoding.UTF8.GetBytes("x")));
    }

    /// <summary>Every znode under <paramref name="path"/>, depth first, relative to the client's chroot.</summary>
    private static async Task<List<string>> AllAsync(ZooKeeperClient client, string path)
    {
        var found = new List<string>();
        foreach (var child in (await client.GetChildrenAsync(path)).Children)
        {
            var childPath = path == "/" ? "/" + child : path + "/" + child;
            found.Add(childPath);
            found.AddRange(await AllAsync(client, childPath));
        }

        return found;
    }
}
