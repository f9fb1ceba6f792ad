using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// A cluster from <c>dimint up</c> (real silo processes) lets in only those who hold its secret: on every port, a client,
/// a silo or a raw socket without it is refused before anything it sent is read as a request, and nothing changes.
/// </summary>
public sealed partial class ClusterSecretTests
{
    [Fact]
    public async Task PeersWithoutTheSecret_AreRefusedOnEveryPort_AndChangeNothing()
    {
        await using var cluster = await LocalClusterProcess.StartAsync(2);

        // dimint up says what listens where: everything on loopback, behind the secret. ss agrees.
        Assert.Equal(2, cluster.Listening.Count);
        Assert.All(cluster.Listening, line => Assert.Contains("cluster secret required", line, StringComparison.Ordinal));
        var endpoints = cluster.Listening.SelectMany(line => Endpoint().Matches(line).Select(m => IPEndPoint.Parse(m.Groups[1].Value))).ToArray();
        Assert.Equal(6, endpoints.Length);
        Assert.All(endpoints, e => Assert.Equal(IPAddress.Loopback, e.Address));
        var listening = await RunAsync("ss", "-Hltn");
        foreach (var endpoint in endpoints)
        {
            var lines = listening.Split('\n').Where(l => l.Contains($":{endpoint.Port} ", StringComparison.Ordinal)).ToArray();
            Assert.True(lines.Length > 0, $"nothing listens on port {endpoint.Port}:\n{listening}");
            Assert.All(lines, l => Assert.Contains($"127.0.0.1:{endpoint.Port} ", l, StringComparison.Ordinal));
        }

        await using var app = await DimintClient.ConnectAsync(cluster.ClientOptions());
        await app.SetAsync("guarded", "before");

        // Clients without the secret, or with another, get a typed error.
        var none = await Assert.ThrowsAsync<UnauthorizedException>(() => DimintClient.ConnectAsync(new DimintClientOptions { Gateways = cluster.Gateways }));
        Assert.Equal(DiMintErrorCode.Unauthorized, none.Code);
        await Assert.ThrowsAsync<UnauthorizedException>(() => DimintClient.ConnectAsync(
            new DimintClientOptions { Gateways = cluster.Gateways, ClusterSecret = "not-this-clusters-secret" }));

        // A raw peer that sends a well-formed data port request (a write) without the handshake: refused, nothing run.
        var ring = await app.GetRingAsync(refresh: true);
        var frame = DataPortFrames.Of(new DataPortRequest
        {
            Batches = [new RangeBatch { GrainKey = ring.Find(KeyHash.Of("guarded")).GrainKey, WriteKeys = ["guarded"], WriteValues = [ValueCodec.Encode("overwritten")] }],
            RingVersion = ring.Version,
        });
        var garbage = new byte[68];
        new Random(11).NextBytes(garbage);
        foreach (var endpoint in endpoints)
        {
            // Every port: the silo's hello, and the end of the connection; never an answer to the frame. (The refusal
            // byte may not arrive: the silo closes with the frame's unread bytes, which resets the connection.)
            var answer = await RawPeerAsync(endpoint, frame);
            Assert.True(answer.Length is >= 4 and <= 37 && answer.AsSpan(0, 4).SequenceEqual("DMA1"u8), $"{endpoint} answered {Convert.ToHexString(answer)} to a frame");

            // A peer that sends as many bytes as a proof, but a wrong one: the hello, the refusal, the end.
            answer = await RawPeerAsync(endpoint, garbage);
            Assert.True(answer.Length == 37 && answer.AsSpan(0, 4).SequenceEqual("DMA1"u8) && answer[36] == 1, $"{endpoint} answered {Convert.ToHexString(answer)} to a wrong proof");
        }

        Assert.Equal("before", await app.GetAsync<string>("guarded"));

        // A silo with another secret cannot join: the cluster refuses its connections (it keeps trying, and never serves).
        var siloPort = FreePorts.Block(1);
        var gatewayPort = FreePorts.Block(1);
        var wrongSecret = Path.Combine(cluster.Cli.Home, "wrong.secret");
        await File.WriteAllTextAsync(wrongSecret, "a-different-secret-for-this-cluster");
        var (intruder, attempt) = await DotnetProcess.StartAsync(
            "DiMint.Silo.dll",
            "refused the connection: this side's cluster secret is not the cluster's",
            TimeSpan.FromSeconds(120),
            [
                "--primary", endpoints[0].ToString(), "--secret-file", wrongSecret,
                "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
            ]);
        await using (intruder)
        {
            Assert.Contains(endpoints[0].ToString(), attempt, StringComparison.Ordinal);
            Assert.DoesNotContain("DiMint silo ready", intruder.Output, StringComparison.Ordinal);
            Assert.Equal(2, (await app.GetNodeStatusAsync()).Count(s => s.IsUp));

            // Asked to stop while it still tries to join, it stops.
            await intruder.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("stopped before it joined the cluster", intruder.Output, StringComparison.Ordinal);
        }

        foreach (var port in new[] { "silo port", "gateway", "data port" })
        {
            await cluster.WaitForSiloLogAsync($"Refused a connection to the {port} from", TimeSpan.FromSeconds(10));
        }

        // The console: with the cluster's secret (found through dimint up) it works; with another it is refused.
        var get = await cluster.Cli.RunAsync("get", "guarded");
        Assert.True(get.ExitCode == 0, get.ToString());
        var refused = await cluster.Cli.RunAsync("--secret-file", wrongSecret, "get", "guarded");
        Assert.True(refused.ExitCode == 4, refused.ToString());
        Assert.Contains("Unauthorized", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASiloThatWouldListenBeyondLoopback_WithoutASecret_RefusesToStart()
    {
        var siloPort = FreePorts.Block(1);
        var gatewayPort = FreePorts.Block(1);
        using var silo = Process.Start(new ProcessStartInfo("dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "DiMint.Silo.dll"), "--listen", "0.0.0.0",
            "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
        ])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = silo.StandardError.ReadToEndAsync();
        var output = silo.StandardOutput.ReadToEndAsync();
        await silo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains("without a cluster secret", await error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", await output, StringComparison.Ordinal);
    }

    /// <summary>Connects to <paramref name="endpoint"/>, sends <paramref name="bytes"/>, and returns all it answers until it closes.</summary>
    private static async Task<byte[]> RawPeerAsync(IPEndPoint endpoint, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(endpoint, deadline.Token);
        await socket.SendAsync(bytes, SocketFlags.None, deadline.Token);
        var received = new MemoryStream();
        var buffer = new byte[256];
        try
        {
            for (int n; (n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0;)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with our unread bytes still queued: a reset ends the connection too.
        }

        return received.ToArray();
    }

    private static async Task<string> RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    [GeneratedRegex(@"(?:silo|gateway|data port) (\d+\.\d+\.\d+\.\d+:\d+)")]
    private static partial Regex Endpoint();
}
