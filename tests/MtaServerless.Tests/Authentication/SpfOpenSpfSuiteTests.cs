using System.Net;
using System.Text.Json.Nodes;
using ARSoft.Tools.Net.Dns;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// The openspf test suite for RFC 7208 (release 2014.04, written by the SPF community and shipped with python3-spf): every
/// scenario's zone on a loopback DNS server of its own, every query through our check_host(), and its verdict one of those
/// the suite allows. The zone data are read as the suite's own driver (pyspf's testspf.py) reads them: a name with no TXT
/// record answers its SPF-type records as TXT, and "TIMEOUT" fails every query type not listed before it.
/// </summary>
public sealed class SpfOpenSpfSuiteTests
{
    [Fact]
    public async Task EveryQueryOfTheSuite_GetsAVerdictTheSuiteAllows()
    {
        var suite = await Pyspf.Rfc7208SuiteAsync();
        var checkedQueries = 0;
        var wrong = new List<string>();

        foreach (var scenario in suite.Select(s => s!.AsObject()))
        {
            using var dns = new LoopbackDnsServer();
            foreach (var (name, records) in scenario["zonedata"]!.AsObject())
            {
                Zone(dns, name, records!.AsArray());
            }

            var verifier = SpfVerifierTests.On(dns);
            foreach (var (id, query) in scenario["tests"]!.AsObject())
            {
                var result = await verifier.CheckAsync(IPAddress.Parse((string)query!["host"]!), (string)query["helo"]!, (string?)query["mailfrom"] ?? string.Empty, CancellationToken.None);
                var verdict = result.Verdict.ToString().ToLowerInvariant();
                var allowed = query["result"] is JsonArray any ? any.Select(r => (string)r!).ToList() : [(string)query["result"]!];
                checkedQueries++;
                if (!allowed.Contains(verdict))
                {
                    wrong.Add($"{id} ({query["spec"]}): {verdict} ({result.Reason}), the suite allows {string.Join(" or ", allowed)}");
                }
            }
        }

        Assert.Empty(wrong);
        Assert.Equal(203, checkedQueries);
    }

    /// <summary>One name's records as the suite lists them.</summary>
    private static void Zone(LoopbackDnsServer dns, string name, JsonArray records)
    {
        var listed = new HashSet<RecordType>();
        var hasTxt = records.Any(r => r is JsonObject o && o.ContainsKey("TXT"));
        foreach (var record in records)
        {
            if (record is JsonValue timeout && (string?)timeout == "TIMEOUT")
            {
                foreach (var unlisted in new[] { RecordType.A, RecordType.Aaaa, RecordType.Mx, RecordType.Txt, RecordType.Ptr }.Where(t => !listed.Contains(t)))
                {
                    dns.ServerFailure(name, unlisted);
                }

                return;
            }

            var (type, value) = record!.AsObject().Single();
            switch (type)
            {
                // "NONE": no record of the type, and none made from the SPF-type records either.
                case "TXT" when (string?)(value as JsonValue) == "NONE":
                    break;
                case "TXT":
                // The driver answers a name's SPF-type records as TXT when it lists no TXT ("NONE" among them, a TXT that
                // is no SPF record).
                case "SPF" when !hasTxt:
                    dns.Txt(name, value is JsonArray strings ? strings.Select(s => (string)s!) : [(string)value!]);
                    listed.Add(RecordType.Txt);
                    break;
                case "A":
                case "AAAA":
                    dns.Address(name, (string)value!);
                    listed.Add(type == "A" ? RecordType.A : RecordType.Aaaa);
                    break;
                case "MX" when (string)value![1]! == string.Empty:
                    dns.NullMx(name);
                    listed.Add(RecordType.Mx);
                    break;
                case "MX":
                    dns.Mx(name, (ushort)(int)value[0]!, (string)value[1]!);
                    listed.Add(RecordType.Mx);
                    break;
                case "PTR":
                    dns.Pointer(ReverseAddress(name), (string)value!);
                    listed.Add(RecordType.Ptr);
                    break;
                case "CNAME":
                    dns.Cname(name, (string)value!);
                    break;
            }
        }
    }

    /// <summary>The address whose reverse name (in-addr.arpa or ip6.arpa) <paramref name="name"/> is.</summary>
    private static string ReverseAddress(string name)
    {
        var labels = name.TrimEnd('.').Split('.');
        if (name.EndsWith(".in-addr.arpa", StringComparison.OrdinalIgnoreCase))
        {
            return string.Join('.', labels[..4].Reverse());
        }

        var nibbles = string.Concat(labels[..32].Reverse());
        return IPAddress.Parse(string.Join(':', Enumerable.Range(0, 8).Select(i => nibbles.Substring(i * 4, 4)))).ToString();
    }
}
