using System.Security.Cryptography.X509Certificates;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace DiMint;

/// <summary>
/// TLS for Orleans' connections (silo to silo, client to gateway; <c>Microsoft.Orleans.Connections.Security</c>), with
/// the cluster's own certificate authority: a peer's certificate must chain to <see cref="Authority"/> and be valid now
/// (host names are not checked: silos are reached by address). Silos authenticate each other with their certificates;
/// clients check the silo's and need none of their own (the cluster secret says who they are).
/// </summary>
public sealed class ClusterTls
{
    private ClusterTls(X509Certificate2Collection authority, X509Certificate2? certificate)
    {
        Authority = authority;
        Certificate = certificate;
    }

    /// <summary>The certificates a peer's must chain to.</summary>
    public X509Certificate2Collection Authority { get; }

    /// <summary>This side's certificate with its private key (a silo's), or null (a client's).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>
    /// Loads the authority from <paramref name="authorityFile"/> (PEM or DER) and, for a silo, its certificate and key from
    /// <paramref name="certificateFile"/> (PKCS#12, with <paramref name="password"/>).
    /// </summary>
    /// <exception cref="FormatException">A file cannot be read or is not what it should be.</exception>
    public static ClusterTls Load(string authorityFile, string? certificateFile = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authorityFile);
        try
        {
            var authority = new X509Certificate2Collection();
            authority.ImportFromPemFile(authorityFile);
            if (authority.Count == 0)
            {
                authority.Add(X509CertificateLoader.LoadCertificateFromFile(authorityFile));
            }

            X509Certificate2? certificate = null;
            if (!string.IsNullOrWhiteSpace(certificateFile))
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password);
                if (!certificate.HasPrivateKey)
                {
                    throw new FormatException($"The TLS certificate file '{certificateFile}' holds no private key.");
                }
            }

            return new ClusterTls(authority, certificate);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new FormatException($"The TLS files ('{authorityFile}', '{certificateFile}') cannot be loaded: {ex.Message}", ex);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> chains to the authority and is valid now.</summary>
    public bool Trusts(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>
    /// Orleans' TLS options: the peer must show a certificate of the cluster (<paramref name="peerMayShowNone"/>: a
    /// gateway's clients may show none, and are known by the cluster secret instead).
    /// </summary>
    public TlsOptions Options(bool peerMayShowNone = false)
    {
        var options = new TlsOptions
        {
            LocalCertificate = Certificate,
            RemoteCertificateMode = peerMayShowNone ? RemoteCertificateMode.AllowCertificate : RemoteCertificateMode.RequireCertificate,
            ClientCertificateMode = Certificate is null ? RemoteCertificateMode.NoCertificate : RemoteCertificateMode.AllowCertificate,
        };
        options.RemoteCertificateValidation = (certificate, _, _) => Trusts(certificate);
        return options;
    }

    /// <summary>The client's connections to gateways run TLS with <paramref name="tls"/> (before the cluster secret's handshake, when there is one).</summary>
    public static void UseOn(IClientBuilder builder, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tls);
        var options = tls.Options();
        builder.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(c => c.UseClientTls(options)));
    }
}
