using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MtaServerless.Testing;

/// <summary>The certificate of a test server: RSA 2048, valid from yesterday for 30 days, trusted by nobody.</summary>
public static class SelfSignedCertificate
{
    /// <returns>A certificate with its private key, usable by SslStream on Linux (loaded from PKCS#12, not ephemeral).</returns>
    public static X509Certificate2 Create(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }
}
