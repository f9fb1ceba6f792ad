namespace DiMint.Silo.Hosting;

/// <summary>Who may talk to the silo (section <c>DiMint:Security</c>).</summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiMint:Security";

    /// <summary>
    /// The cluster's secret (at least 16 characters), the same on every silo and client: every connection to the silo
    /// port, the gateway and the data port proves it before anything of it is read. Null: see <see cref="ClusterSecretFile"/>.
    /// </summary>
    public string? ClusterSecret { get; set; }

    /// <summary>A file holding the cluster's secret, instead of <see cref="ClusterSecret"/> (<c>--secret-file</c>).</summary>
    public string? ClusterSecretFile { get; set; }

    /// <summary>
    /// The PEM (or DER) file of the certificate authority that issues the cluster's certificates. With
    /// <see cref="TlsCertificateFile"/>, Orleans' connections (silo to silo, client to gateway) and the data port's run
    /// TLS: peers' certificates must chain to it.
    /// </summary>
    public string? TlsAuthorityFile { get; set; }

    /// <summary>This silo's certificate and private key (PKCS#12), issued by <see cref="TlsAuthorityFile"/>.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The password of <see cref="TlsCertificateFile"/>, if it has one.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>
    /// Whether a silo without a secret may listen beyond loopback, where anyone who reaches it could read and write every
    /// key. Default false: such a silo refuses to start.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}
