using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DiMint.Client;
using DiMint.Testing;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// Silos (real processes) with TLS on Orleans' connections and on their data ports: a client that trusts the cluster's
/// authority round-trips, its batches on the data port; a plain-text client or peer, a client trusting another authority,
/// and a silo with an expired certificate get nowhere.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class TlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WithTls_ATrustingClientRoundTrips_WhilePlainTextUntrustedAndExpiredPeersAreRefused()
    {
        var folder = Directory.CreateTempSubdirectory("dimint-tls-").FullName;
        using var authority = Authority("DiMint test CA");
        using var stranger = Authority("Some other CA");
        var authorityFile = WritePem(folder, "ca.pem", authority);
        var strangerFile = WritePem(folder, "other-ca.pem", stranger);
        var siloFile = WritePfx(folder, "silo.pfx", Issue(authority, "silo", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)));
        var expiredFile = WritePfx(folder, "expired.pfx", Issue(authority, "expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1)));

        await using var silo = await SiloHostProcess.StartAsync(primary: true, "--tls-authority", authorityFile, "--tls-certificate", siloFile);
        var dataPort = DataPortOf(silo);

        // A second silo joins over TLS, each showing the other its certificate.
        var secondFile = WritePfx(folder, "second.pfx", Issue(authority, "second", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)));
        await using var second = await SiloHostProcess.StartAsync("--primary", $"127.0.0.1:{silo.SiloPort}", "--tls-authority", authorityFile, "--tls-certificate", secondFile);

        // A client that trusts the authority: TLS to the gateways, and its batches on the data ports, over TLS too.
        await using (var client = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = [silo.Gateway, second.Gateway], TlsAuthorityFile = authorityFile }))
        {
            await Wait.UntilAsync(async () => (await client.GetNodeStatusAsync()).Count(s => s.IsUp) == 2, TimeSpan.FromSeconds(60), "both silos up");
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.SetAsync($"tls:{i}", $"over TLS {i}")));

            // Its first batches went as Orleans calls while it connected to the data ports; then they go there.
            async Task<long> DataPortBatchesAsync() => (await client.GetNodeStatusAsync()).Sum(s => s.DataPortClientBatches);
            var before = await DataPortBatchesAsync();
            await Wait.UntilAsync(
                async () =>
                {
                    await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync<string>($"tls:{i}")));
                    return await DataPortBatchesAsync() > before;
                },
                Timeout,
                "the client's batches to come on the data ports");
            await Task.WhenAll(Enumerable.Range(50, 50).Select(i => client.SetAsync($"tls:{i}", $"over TLS {i}")));
            for (var i = 0; i < 100; i += 7)
            {
                Assert.Equal($"over TLS {i}", await client.GetAsync<string>($"tls:{i}"));
            }

            Assert.Equal(0, (await client.GetNodeStatusAsync()).Sum(s => s.DataPortRefused));
        }

        // Plain text, or a client trusting another authority: no connection, to the gateway or to the data port.
        foreach (var authorityOfClient in new[] { null, strangerFile })
        {
            await Assert.ThrowsAsync<ClusterUnavailableException>(() => DimintClient.ConnectAsync(new DimintClientOptions
            {
                Gateways = [silo.Gateway],
                TlsAuthorityFile = authorityOfClient,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            }));
        }

        Assert.Null(await PingAsync(dataPort, tls: null));
        await Wait.UntilAsync(() => silo.Output.Contains("its TLS handshake failed", StringComparison.Ordinal), Timeout, "the silo to log the plain-text peer's refusal");
        await Assert.ThrowsAsync<AuthenticationException>(() => FramedSocket.ConnectAsync(dataPort, Timeout, tls: ClusterTls.Load(strangerFile)));
        Assert.NotNull(await PingAsync(dataPort, ClusterTls.Load(authorityFile)));

        // A silo whose certificate expired serves nobody who checks it.
        await using var expired = await SiloHostProcess.StartAsync(primary: true, "--tls-authority", authorityFile, "--tls-certificate", expiredFile);
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => DimintClient.ConnectAsync(new DimintClientOptions
        {
            Gateways = [expired.Gateway],
            TlsAuthorityFile = authorityFile,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        }));
        await Assert.ThrowsAsync<AuthenticationException>(() => FramedSocket.ConnectAsync(DataPortOf(expired), Timeout, tls: ClusterTls.Load(authorityFile)));

        // And the first silo's gateway never answered in plain text: what a plain client sent is not read as Orleans messages.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPEndPoint.Parse(silo.Gateway));
        await socket.SendAsync(new byte[64], SocketFlags.None);
        var buffer = new byte[256];
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
                // A TLS alert, at most.
            }
        }
        catch (SocketException)
        {
            // Reset: closed.
        }
        catch (OperationCanceledException)
        {
            // Still open at the deadline: asserted below.
        }

        Assert.False(deadline.IsCancellationRequested, "the gateway kept a plain-text connection open");
    }

    [Fact]
    public async Task DimintUp_WithTls_RunsATlsCluster_ThatItsCommandsAndClientsReach()
    {
        var folder = Directory.CreateTempSubdirectory("dimint-tls-up-").FullName;
        using var authority = Authority("DiMint up test CA");
        var authorityFile = WritePem(folder, "ca.pem", authority);
        var certificateFile = WritePfx(folder, "silo.pfx", Issue(authority, "silos", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)), "up-test");

        // Half of it is refused before anything starts.
        var half = await new DimintCli(folder).RunAsync("up", "--tls-certificate", certificateFile);
        Assert.True(half.ExitCode == 2, half.ToString());
        Assert.Contains("--tls-authority", half.Error, StringComparison.Ordinal);

        await using var cluster = await LocalClusterProcess.StartAsync(
            2, new Dictionary<string, string> { ["DiMint__Security__TlsCertificatePassword"] = "up-test" }, "--tls-authority", authorityFile, "--tls-certificate", certificateFile);
        Assert.Contains($"TLS: every connection; certificates must chain to {authorityFile}", cluster.Output, StringComparison.Ordinal);

        // dimint's commands find the cluster's CA as they find its secret.
        var set = await cluster.Cli.RunAsync("set", "tls-up", "\"over TLS\"");
        Assert.True(set.ExitCode == 0, set.ToString());
        var get = await cluster.Cli.RunAsync("get", "tls-up");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("over TLS", get.Output, StringComparison.Ordinal);

        // A client with the CA and the secret: its batches reach the data ports; without the CA it gets nowhere.
        var options = cluster.ClientOptions();
        options.TlsAuthorityFile = authorityFile;
        await using (var client = await DimintClient.ConnectAsync(options))
        {
            Assert.Equal("over TLS", await client.GetAsync<string>("tls-up"));
            await Wait.UntilAsync(
                async () =>
                {
                    await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.SetAsync($"tls-up:{i}", i)));
                    return (await client.GetNodeStatusAsync()).Sum(s => s.DataPortClientBatches) > 0;
                },
                Timeout,
                "the client's batches to come on the data ports");
        }

        var plain = cluster.ClientOptions();
        plain.ConnectTimeout = TimeSpan.FromSeconds(5);
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => DimintClient.ConnectAsync(plain));
    }

    /// <summary>
    /// The overlord's probe sent on a data port connection (with <paramref name="tls"/>, or in plain text): the silo's
    /// answer, or null when it closed the connection instead.
    /// </summary>
    private static async Task<DataPortAnswer?> PingAsync(IPEndPoint dataPort, ClusterTls? tls)
    {
        using var connection = await FramedSocket.ConnectAsync(dataPort, Timeout, tls: tls);
        connection.Send<DataPortRequest>(DataPortFrames.Codec, 1, new DataPortRequest { Batches = [], Ping = true });
        DataPortAnswer? answer = null;
        var receiving = connection.ReceiveAsync((_, payload) =>
        {
            answer = DataPortFrames.Codec.ReadAnswer(payload);
            connection.Dispose();
        });
        try
        {
            await receiving.WaitAsync(Timeout);
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            // Cut off, or closed here once the answer came.
        }

        return answer;
    }

    private static IPEndPoint DataPortOf(SiloHostProcess silo) =>
        IPEndPoint.Parse(DataPort().Match(silo.Output) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"The silo announced no data port: {silo.Output}"));

    [GeneratedRegex(@"data port (\d+\.\d+\.\d+\.\d+:\d+)")]
    private static partial Regex DataPort();

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(authority, from, to, RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    private static string WritePem(string folder, string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    private static string WritePfx(string folder, string name, X509Certificate2 certificate, string? password = null)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        certificate.Dispose();
        return path;
    }
}
