namespace DiMint.Cli.LocalCluster;

/// <summary>The TLS of a cluster <c>dimint up</c> runs: its CA and the certificate every silo shows (full paths).</summary>
internal sealed record LocalClusterTls(string AuthorityFile, string CertificateFile);
