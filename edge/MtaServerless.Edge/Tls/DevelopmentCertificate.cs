using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MtaServerless.Edge.Tls;

/// <summary>
/// A self-signed certificate for local runs and tests, written as the PEM files <c>Edge:Tls</c> reads.
/// Never for production: no client trusts it.
/// </summary>
public static class DevelopmentCertificate
{
    /// <summary>
    /// Creates an ECDSA P-256 certificate for <paramref name="hostName"/> (plus <c>localhost</c>,
    /// <c>127.0.0.1</c> and <c>::1</c>), valid from yesterday for <paramref name="validity"/> (default one
    /// year), and writes <paramref name="certificatePath"/> and <paramref name="keyPath"/> (the key readable
    /// by the owner only). Existing files are replaced.
    /// </summary>
    public static void WritePem(string certificatePath, string keyPath, string hostName, TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.Add(validity ?? TimeSpan.FromDays(365)));

        // The key first: a provider that sees the new certificate must find its key already there.
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
    }
}
