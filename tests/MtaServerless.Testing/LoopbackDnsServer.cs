using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using DnsName = ARSoft.Tools.Net.DomainName;

namespace MtaServerless.Testing;

/// <summary>
/// A real DNS server (ARSoft.Tools.Net) on a free UDP port of 127.0.0.1, answering from a zone the
/// test writes: MX, A, AAAA, TXT, PTR and CNAME records, null MX, NXDOMAIN for unknown names, SERVFAIL (for a name or
/// one of its types) and slow answers.
/// </summary>
public sealed class LoopbackDnsServer : IDisposable
{
    private const int Ttl = 60;
    private readonly ConcurrentDictionary<string, ConcurrentBag<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _failing = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Name, RecordType Type), byte> _failingTypes = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _slow = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsServer _server;
    private int _queries;

    public LoopbackDnsServer()
    {
        Endpoint = new IPEndPoint(IPAddress.Loopback, FreeUdpPort());
        _server = new DnsServer(new UdpServerTransport(Endpoint, timeout: 5000));
        _server.QueryReceived += AnswerAsync;
        _server.Start();
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>How many queries the server answered (or let time out), for tests that check caching or retries.</summary>
    public int Queries => Volatile.Read(ref _queries);

    public LoopbackDnsServer Mx(string domain, ushort preference, string exchange) =>
        Add(domain, new MxRecord(Name(domain), Ttl, preference, Name(exchange)));

    /// <summary>RFC 7505: one MX of preference 0 whose exchange is the root, "this domain takes no mail".</summary>
    public LoopbackDnsServer NullMx(string domain) =>
        Add(domain, new MxRecord(Name(domain), Ttl, 0, DnsName.Root));

    public LoopbackDnsServer Address(string name, string address)
    {
        var ip = IPAddress.Parse(address);
        return Add(name, ip.AddressFamily == AddressFamily.InterNetworkV6
            ? new AaaaRecord(Name(name), Ttl, ip)
            : new ARecord(Name(name), Ttl, ip));
    }

    /// <summary>A TXT record of one or more character-strings (a DKIM key record is split into strings of up to 255 octets).</summary>
    /// <remarks>Text that is not ASCII goes out as its UTF-8 octets, as a zone file would hold them (ARSoft's own encoder would make them "?").</remarks>
    public LoopbackDnsServer Txt(string name, IEnumerable<string> strings)
    {
        var parts = strings.ToList();
        if (parts.All(p => System.Text.Ascii.IsValid(p)))
        {
            return Add(name, new TxtRecord(Name(name), Ttl, parts));
        }

        // RFC 1035 3.3.14: each character-string is its length octet, then its octets.
        var data = parts.Select(System.Text.Encoding.UTF8.GetBytes).SelectMany(octets => octets.Prepend((byte)octets.Length)).ToArray();
        return Add(name, new UnknownRecord(Name(name), RecordType.Txt, RecordClass.INet, Ttl, data));
    }

    /// <summary>A PTR record of the address's reverse name (in-addr.arpa or ip6.arpa) that points to <paramref name="name"/>.</summary>
    public LoopbackDnsServer Pointer(string address, string name)
    {
        var reverse = IPAddress.Parse(address).GetReverseLookupDomain();
        return Add(reverse.ToString(), new PtrRecord(reverse, Ttl, Name(name)));
    }

    public LoopbackDnsServer ServerFailure(string name)
    {
        _failing[Key(name)] = 0;
        return this;
    }

    /// <summary>SERVFAIL for queries of one type only; the name's other records are answered.</summary>
    public LoopbackDnsServer ServerFailure(string name, RecordType type)
    {
        _failingTypes[(Key(name), type)] = 0;
        return this;
    }

    /// <summary>An alias: a query of any type for <paramref name="name"/> is answered with the CNAME and the target's records of that type (one level, as a resolver would add them).</summary>
    public LoopbackDnsServer Cname(string name, string target) =>
        Add(name, new CNameRecord(Name(name), Ttl, Name(target)));

    public LoopbackDnsServer Slow(string name, TimeSpan delay)
    {
        _slow[Key(name)] = delay;
        return this;
    }

    public void Dispose()
    {
        try
        {
            _server.Stop();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OperationCanceledException))
        {
            // ARSoft's Stop waits on its receive loop, which ends canceled when no query ever arrived: nothing went wrong.
        }
    }

    private LoopbackDnsServer Add(string name, DnsRecordBase record)
    {
        _records.GetOrAdd(Key(name), _ => []).Add(record);
        return this;
    }

    private async Task AnswerAsync(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref _queries);
        if (e.Query is not DnsMessage { Questions: [var question] } query)
        {
            return;
        }

        var name = Key(question.Name.ToString());
        if (_slow.TryGetValue(name, out var delay))
        {
            await Task.Delay(delay);
        }

        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        if (_failing.ContainsKey(name) || _failingTypes.ContainsKey((name, question.RecordType)))
        {
            response.ReturnCode = ReturnCode.ServerFailure;
        }
        else if (!_records.TryGetValue(name, out var records))
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }
        else
        {
            response.ReturnCode = ReturnCode.NoError;
            response.AnswerRecords.AddRange(records.Where(r => r.RecordType == question.RecordType));
            if (question.RecordType != RecordType.CName && records.OfType<CNameRecord>().FirstOrDefault() is { } alias)
            {
                response.AnswerRecords.Add(alias);
                if (_records.TryGetValue(Key(alias.CanonicalName.ToString()), out var target))
                {
                    response.AnswerRecords.AddRange(target.Where(r => r.RecordType == question.RecordType));
                }
            }
        }

        e.Response = response;
    }

    private static string Key(string name) => name.TrimEnd('.');

    /// <summary>Names as a zone may hold them, including labels no host name has (a colon, a slash), which a test may need to serve.</summary>
    private static DnsName Name(string name) =>
        DnsName.TryParse(name, out var parsed) && parsed is not null ? parsed : new DnsName(name.TrimEnd('.').Split('.'));

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
