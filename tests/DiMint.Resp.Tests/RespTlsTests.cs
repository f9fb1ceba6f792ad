using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DiMint.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace DiMint.Resp.Tests;

/// <summary>
/// A Redis-protocol port with a certificate runs TLS: a client that trusts the certificate is served (after AUTH), a
/// plain-text client is not.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(RespClusterCollection.Name)]
public sealed class RespTlsTests(RespClusterFixture fixture)
{
    [Fact]
    public async Task PortWithACertificate_ServesTlsClients_AndNotPlainText()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=dimint", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await using var server = new RespServer(
            new DimintClient(fixture.Cluster.Client),
            new RespServerOptions { Secret = ClusterSecret.Parse(RespClusterFixture.Secret), Certificate = certificate },
            NullLogger.Instance);
        server.Start();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", server.Port);
            await using var tls = new SslStream(tcp.GetStream(), false, (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString());
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "dimint" });
            Assert.Equal("+OK", await RedisToolsTests.SendAsync(tls, $"AUTH {RespClusterFixture.Secret}"));
            Assert.Equal("+PONG", await RedisToolsTests.SendAsync(tls, "PING"));
        }

        using (var plain = new TcpClient())
        {
            await plain.ConnectAsync("127.0.0.1", server.Port);
            var stream = plain.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {RespClusterFixture.Secret}\r\nPING\r\n"));
            var buffer = new byte[64];
            int read;
            try
            {
                read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (IOException)
            {
                read = 0;
            }

            Assert.DoesNotContain("PONG", Encoding.ASCII.GetString(buffer, 0, read));
        }
    }
}
