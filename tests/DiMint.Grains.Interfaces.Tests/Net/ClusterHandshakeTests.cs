using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace DiMint.Tests.Net;

/// <summary>
/// The handshake every connection to a silo with a secret begins with: both sides must hold the secret, a refused peer
/// learns it at once, and nothing past the handshake is consumed by it.
/// </summary>
public sealed class ClusterHandshakeTests
{
    private static readonly ClusterSecret Secret = ClusterSecret.Parse("the-cluster-secret-0123456789");
    private static readonly ClusterSecret Other = ClusterSecret.Parse("another-cluster-secret-987654");

    [Fact]
    public async Task PeersWithTheSameSecret_Connect_AndTheBytesAfterTheHandshakeAreTheApplications()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var accepting = ClusterHandshake.AcceptAsync(new StreamHandshakeChannel(server), Secret);
            await ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(client), Secret, "the test silo");
            Assert.Null(await accepting);

            // What follows the handshake reaches the application untouched.
            await client.SendAsync(new byte[] { 7, 8, 9 });
            var buffer = new byte[3];
            Assert.True(await new StreamHandshakeChannel(server).ReceiveExactlyAsync(buffer, CancellationToken.None));
            Assert.Equal(new byte[] { 7, 8, 9 }, buffer);
        }
    }

    [Fact]
    public async Task APeerWithAnotherSecret_IsRefused_AndTold()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var accepting = ClusterHandshake.AcceptAsync(new StreamHandshakeChannel(server), Secret);
            var error = await Assert.ThrowsAsync<UnauthorizedException>(() => ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(client), Other, "the test silo"));
            Assert.Equal(DiMintErrorCode.Unauthorized, error.Code);
            Assert.Contains("refused", error.Message, StringComparison.Ordinal);
            Assert.Equal(new HandshakeRefusal("it does not hold the cluster secret", ConnectionFailed: false), await accepting);
        }
    }

    [Fact]
    public async Task ASiloWithAnotherSecret_IsNotTrusted_ByThePeer()
    {
        // The impostor accepts any proof and answers with its own: the peer must not take it for the cluster.
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var impostor = ImpostorAsync(server);
            var error = await Assert.ThrowsAsync<UnauthorizedException>(() => ClusterHandshake.ConnectAsync(new StreamHandshakeChannel(client), Secret, "the test silo"));
            Assert.Contains("does not hold the cluster secret", error.Message, StringComparison.Ordinal);
            await impostor;
        }
    }

    [Fact]
    public async Task RandomBytes_AreRefused()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var accepting = ClusterHandshake.AcceptAsync(new StreamHandshakeChannel(server), Secret);
            var garbage = new byte[68];
            new Random(5).NextBytes(garbage);
            await client.SendAsync(garbage);
            var refusal = await accepting;
            Assert.StartsWith("it did not start the DiMint handshake", refusal!.Reason, StringComparison.Ordinal);
            Assert.False(refusal.ConnectionFailed);

            // The server's hello, then its refusal.
            var answer = new byte[37];
            Assert.True(await new StreamHandshakeChannel(client).ReceiveExactlyAsync(answer, CancellationToken.None));
            Assert.Equal("DMA1"u8.ToArray(), answer[..4]);
            Assert.Equal(1, answer[36]);
        }
    }

    [Fact]
    public async Task APeerThatHangsUp_IsRefused()
    {
        var (client, server) = await PairAsync();
        using (server)
        {
            var accepting = ClusterHandshake.AcceptAsync(new StreamHandshakeChannel(server), Secret);
            client.Dispose();
            Assert.True((await accepting.WaitAsync(TimeSpan.FromSeconds(30)))!.ConnectionFailed);
        }
    }

    [Fact]
    public async Task OverPipes_TheHandshakeTakesOnlyItsOwnBytes()
    {
        // An Orleans connection: the silo's first Orleans bytes may arrive in the same read as its verdict.
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new PipeHandshakeChannel(new DuplexPipe(toServer.Reader, toClient.Writer));
        var client = new PipeHandshakeChannel(new DuplexPipe(toClient.Reader, toServer.Writer));
        var accepting = Task.Run(async () =>
        {
            var refused = await ClusterHandshake.AcceptAsync(server, Secret);
            await toClient.Writer.WriteAsync(new byte[] { 42, 43 });
            return refused;
        });
        await ClusterHandshake.ConnectAsync(client, Secret, "the test silo");
        Assert.Null(await accepting);

        var after = new byte[2];
        Assert.True(await client.ReceiveExactlyAsync(after, CancellationToken.None));
        Assert.Equal(new byte[] { 42, 43 }, after);
    }

    [Fact]
    public void ShortSecrets_AndTwoSources_AreRefused()
    {
        Assert.Throws<FormatException>(() => ClusterSecret.Parse("too short"));
        Assert.Throws<FormatException>(() => ClusterSecret.From("long-enough-secret-123", "/some/file"));
        Assert.Null(ClusterSecret.From(null, " "));
        var missing = Assert.Throws<FormatException>(() => ClusterSecret.FromFile("/nonexistent/dimint.secret"));
        Assert.Contains("/nonexistent/dimint.secret", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AGeneratedSecretFile_IsReadableByItsOwnerOnly_AndReadsBack()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dimint-secret-").FullName, "cluster.secret");
        ClusterSecret.CreateFile(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(File.ReadAllText(path).Length >= 43);
        ClusterSecret.FromFile(path);

        // Its bytes are the secret and nothing else (no byte-order mark): `redis-cli -a "$(cat FILE)"` must work.
        var bytes = File.ReadAllBytes(path);
        Assert.True(ClusterSecret.FromFile(path).Matches(bytes), "the file's bytes, as cat gives them, are not the secret");
        Assert.NotEqual(0xEF, bytes[0]);
    }

    [Fact]
    public void Matches_TheSecretAsAPassword_AndNothingElse()
    {
        var secret = ClusterSecret.Parse("a-cluster-secret-of-enough-length");
        Assert.True(secret.Matches("a-cluster-secret-of-enough-length"u8));
        Assert.True(secret.Matches(" a-cluster-secret-of-enough-length\n"u8));
        Assert.True(secret.Matches("\uFEFFa-cluster-secret-of-enough-length"u8));
        Assert.False(secret.Matches("a-cluster-secret-of-enough-lengtH"u8));
        Assert.False(secret.Matches("a-cluster-secret-of-enough"u8));
        Assert.False(secret.Matches([]));
    }

    /// <summary>Plays a silo with another secret: sends a hello, reads the peer's proof, accepts it and proves the wrong secret.</summary>
    private static async Task ImpostorAsync(Socket socket)
    {
        var channel = new StreamHandshakeChannel(socket);
        var hello = "DMA1"u8.ToArray().Concat(new byte[32]).ToArray();
        await channel.SendAsync(hello, CancellationToken.None);
        var proof = new byte[68];
        Assert.True(await channel.ReceiveExactlyAsync(proof, CancellationToken.None));
        var answer = new byte[33];
        new Random(3).NextBytes(answer);
        answer[0] = 0;
        await channel.SendAsync(answer, CancellationToken.None);
    }

    private static Task<(Socket Connecting, Socket Accepted)> PairAsync() => LoopbackSockets.RawPairAsync();

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
