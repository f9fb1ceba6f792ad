using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DiMint.Client;
using DiMint.Testing.Processes;

namespace DiMint.Cli.Tests;

/// <summary>
/// Silos (real processes) with TLS on Orleans' connections: a client that trusts the cluster's authority round-trips; a
/// plain-text client, a client trusting another authority, and a silo with an expired certificate get nowhere.
/// </summary>
[Trait("Category", "Process")]
public sealed class TlsTests
{
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
        Assert.Contains("data port none", silo.Output, StringComparison.Ordinal);

        // A second silo joins over TLS, each showing the other its certificate.
        var secondFile = WritePfx(folder, "second.pfx", Issue(authority, "second", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)));
        await using var second = await SiloHostProcess.StartAsync("--primary", $"127.0.0.1:{silo.SiloPort}", "--tls-authority", authorityFile, "--tls-certificate", secondFile);

        // A client that trusts the authority: TLS, and the batches go as Orleans calls (the data port is off).
        await using (var client = await DimintClient.ConnectAsync(new DimintClientOptions { Gateways = [silo.Gateway, second.Gateway], TlsAuthorityFile = authorityFile }))
        {
            await DiMint.Testing.Wait.UntilAsync(async () => (await client.GetNodeStatusAsync()).Count(s => s.IsUp) == 2, TimeSpan.FromSeconds(60), "both silos up");
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.SetAsync($"tls:{i}", $"over TLS {i}")));
            Assert.Equal("over TLS 49", await client.GetAsync<string>("tls:49"));
        }

        // Plain text, or a client trusting another authority: no connection.
        foreach (var authorityOfClient in new[] { null, strangerFile })
        {
            await Assert.ThrowsAsync<ClusterUnavailableException>(() => DimintClient.ConnectAsync(new DimintClientOptions
            {
                Gateways = [silo.Gateway],
                TlsAuthorityFile = authorityOfClient,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            }));
        }

        // A silo whose certificate expired serves nobody who checks it.
        await using var expired = await SiloHostProcess.StartAsync(primary: true, "--tls-authority", authorityFile, "--tls-certificate", expiredFile);
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => DimintClient.ConnectAsync(new DimintClientOptions
        {
            Gateways = [expired.Gateway],
            TlsAuthorityFile = authorityFile,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        }));

        // And the first silo's gateway never answered in plain text: what a plain client sent is not read as Orleans messages.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPEndPoint.Parse(silo.Gateway));
        await socket.SendAsync(new byte[64], SocketFlags.None);
        var buffer = new byte[256];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
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

        Assert.False(deadline.IsCancellationRequested, "the gateway kept a plain-text connection open");
    }

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

    private static string WritePfx(string folder, string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12));
        certificate.Dispose();
        return path;
    }
}
