using System.Security.Cryptography;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using MtaServerless.Testing;

namespace MtaServerless.Benchmarks;

/// <summary>
/// The benchmark's sending domain as the MX listener's checks see it: SPF for the loopback client, a DKIM key and
/// DMARC <c>p=reject</c>, on a DNS server on loopback, so every message is checked as received mail is, and passes.
/// </summary>
internal sealed class SenderDomain : IDisposable
{
    public const string Domain = "example.org";
    private const string Selector = "bench";
    private readonly LoopbackDnsServer _dns = new();
    private readonly DkimSigner _signer;

    public SenderDomain()
    {
        using var rsa = RSA.Create(2048);
        var key = $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}";
        _dns.Txt(Domain, ["v=spf1 ip4:127.0.0.1 -all"])
            .Txt($"{Selector}._domainkey.{Domain}", key.Chunk(255).Select(c => new string(c)))
            .Txt($"_dmarc.{Domain}", ["v=DMARC1; p=reject"]);
        using var pem = new MemoryStream(Encoding.ASCII.GetBytes(rsa.ExportPkcs8PrivateKeyPem()));
        _signer = new DkimSigner(pem, Domain, Selector)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
    }

    /// <summary>The MTA's <c>Pipeline:NameServers</c>.</summary>
    public string NameServers => _dns.Endpoint.ToString();

    /// <summary>Signs as the domain's own MTA would, once per message object: the bytes MailKit then sends are those signed.</summary>
    public MimeMessage Sign(MimeMessage message)
    {
        message.Prepare(EncodingConstraint.SevenBit);
        _signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        return message;
    }

    public void Dispose() => _dns.Dispose();
}
