using System.Net.Security;
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
/// clients check the silo's and need none of their own (the cluster secret says who they are). The data port's
/// connections run TLS with the same rules, over <see cref="SslStream"/> (<see cref="ServerOptions"/>, <see cref="ClientOptions"/>).
/// </summary>
public sealed class ClusterTls
{
    /// <summary>This side's certificate with its chain, built once for every data port connection it accepts.</summary>
    private readonly Lazy<SslStreamCertificateContext> _serverContext;

    private ClusterTls(X509Certificate2Collection authority, X509Certificate2? certificate)
    {
        Authority = authority;
        Certificate = certificate;
        _serverContext = new(() => SslStreamCertificateContext.Create(
            Certificate ?? throw new InvalidOperationException("A TLS server side needs this side's certificate (--tls-certificate)."),
            Authority,
            offline: true));
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

    /// <summary>
    /// A data port's side of TLS (a silo's; it needs its certificate): a peer that shows a certificate must show one of
    /// the cluster's (silos replicating do), a peer that shows none is let on to the cluster secret's handshake (clients).
    /// </summary>
    /// <exception cref="InvalidOperationException">This side has no certificate.</exception>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = _serverContext.Value,
        ClientCertificateRequired = true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is null || (certificate is X509Certificate2 shown && Trusts(shown)),
    };

    /// <summary>A connecting side of TLS to a data port: the silo must show a certificate of the cluster; this side shows its own, if it has one.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        // Silos are reached by address; the certificate's chain is what is checked, not a name.
        TargetHost = "dimint",
        ClientCertificates = Certificate is null ? null : [Certificate],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 shown && Trusts(shown),
    };

    /// <summary>The client's connections to gateways run TLS with <paramref name="tls"/> (before the cluster secret's handshake, when there is one).</summary>
    public static void UseOn(IClientBuilder builder, ClusterTls tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tls);
        var options = tls.Options();
        builder.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(c => c.UseClientTls(options)));
    }
}
