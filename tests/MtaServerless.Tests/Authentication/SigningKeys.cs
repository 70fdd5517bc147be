using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Signatures;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// Keys of independent signers (dkimpy, OpenDKIM) made in the test: each private key a PKCS#8 PEM file in a temporary
/// directory, each public key a TXT record on a loopback DNS server of its own, where our <see cref="SignatureVerifier"/>
/// reads it.
/// </summary>
internal sealed class SigningKeys : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mta-signature-keys-").FullName;

    public LoopbackDnsServer Dns { get; } = new();

    /// <param name="tags">More tags of the key record, such as <c>h=sha1; </c>.</param>
    /// <returns>The private key file.</returns>
    public string Publish(string domain, string selector, DkimAlgorithm algorithm, string tags = "")
    {
        var key = DkimKeyMaterial.Generate(algorithm);
        var keyType = algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";
        return Write(domain, selector, key.PrivateKeyPem, $"v=DKIM1; k={keyType}; {tags}p={key.PublicKey}");
    }

    /// <summary>An RSA key of any size, the ones RFC 8301 forbids included.</summary>
    public string PublishRsa(string domain, string selector, int bits)
    {
        using var rsa = RSA.Create(bits);
        return Write(domain, selector, rsa.ExportPkcs8PrivateKeyPem(), $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
    }

    /// <summary>Our verifier on the loopback server only, with a short timeout for the temperror cases.</summary>
    public SignatureVerifier Verifier(TimeProvider? time = null) => new(
        new AuthenticationDns(Options.Create(new PipelineOptions { NameServers = Dns.Endpoint.ToString(), DnsTimeout = TimeSpan.FromSeconds(1) })),
        new PublicKeyCache(),
        time ?? TimeProvider.System,
        NullLogger<SignatureVerifier>.Instance);

    public Task<SignatureResults> VerifyAsync(byte[] message, TimeProvider? time = null, CancellationToken cancellationToken = default) =>
        Verifier(time).VerifyAsync(MimeMessage.Load(new MemoryStream(message), CancellationToken.None), cancellationToken);

    public static string RecordName(string domain, string selector) => $"{selector}._domainkey.{domain}";

    /// <summary>A message as a sender writes it, from <paramref name="domain"/>.</summary>
    public static byte[] Message(string domain, string body = "Hello,\r\nthis is a test.\r\n") => Encoding.UTF8.GetBytes(
        $"From: Alice <alice@{domain}>\r\nTo: <bob@example.net>\r\nSubject: signature test\r\nDate: Sat, 05 Dec 2026 08:00:00 +0000\r\n"
        + $"Message-ID: <{Guid.NewGuid():N}@{domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}");

    /// <summary>The message with <paramref name="original"/> (which must be there) replaced, as a forwarder or an attacker edits it.</summary>
    public static byte[] Edited(byte[] message, string original, string changed)
    {
        var text = Encoding.UTF8.GetString(message);
        Assert.Contains(original, text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text.Replace(original, changed, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        Dns.Dispose();
    }

    private string Write(string domain, string selector, string privateKeyPem, string record)
    {
        var file = Path.Combine(_directory, $"{selector}.{domain}.pem");
        File.WriteAllText(file, privateKeyPem);
        Dns.Txt(RecordName(domain, selector), new DkimPublicRecord(RecordName(domain, selector), record).Strings());
        return file;
    }
}
