using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Dmarc;
using MtaServerless.Pipeline.Authentication.Spf;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>DMARC records and host names on a DNS server on loopback, and the evaluator that queries it.</summary>
internal sealed class DmarcZone : IDisposable
{
    /// <summary>Short, so that a slow answer becomes a timeout (two tries) within a second.</summary>
    public static readonly TimeSpan DnsTimeout = TimeSpan.FromMilliseconds(400);

    public static readonly SpfResult NoSpf = new(AuthVerdict.None, "unrelated.invalid", FromHelo: false);

    private readonly DmarcEvaluator _evaluator;

    public DmarcZone()
    {
        var options = Options.Create(new PipelineOptions { NameServers = Dns.Endpoint.ToString(), DnsTimeout = DnsTimeout });
        _evaluator = new DmarcEvaluator(new AuthenticationDns(options), NullLogger<DmarcEvaluator>.Instance);
    }

    public LoopbackDnsServer Dns { get; } = new();

    /// <summary>One TXT record at <c>_dmarc.</c><paramref name="domain"/> of one or more character-strings.</summary>
    public DmarcZone Record(string domain, params string[] strings)
    {
        Dns.Txt("_dmarc." + domain, strings);
        return this;
    }

    /// <summary>Records written <c>domain: text</c>, the text's character-strings separated by <c>|</c>.</summary>
    public DmarcZone Records(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            var colon = entry.IndexOf(": ", StringComparison.Ordinal);
            Record(entry[..colon], entry[(colon + 2)..].Split('|'));
        }

        return this;
    }

    public Task<DmarcResult> EvaluateAsync(string fromDomain, SpfResult spf, params DkimResult[] dkim) =>
        _evaluator.EvaluateAsync(fromDomain, spf, dkim, CancellationToken.None);

    public static SpfResult Spf(string domain, AuthVerdict verdict = AuthVerdict.Pass, bool fromHelo = false) => new(verdict, domain, fromHelo);

    public static DkimResult Dkim(string domain, AuthVerdict verdict = AuthVerdict.Pass) => new(verdict, domain, "s1", "AbCdEfGh");

    public void Dispose() => Dns.Dispose();
}
