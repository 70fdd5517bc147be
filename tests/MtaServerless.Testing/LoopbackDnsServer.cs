using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using DnsName = ARSoft.Tools.Net.DomainName;

namespace MtaServerless.Testing;

/// <summary>
/// A real DNS server (ARSoft.Tools.Net) on a free UDP port of 127.0.0.1, answering from a zone the
/// test writes: MX, A, AAAA, TXT and PTR records, null MX, NXDOMAIN for unknown names, SERVFAIL and slow answers.
/// </summary>
public sealed class LoopbackDnsServer : IDisposable
{
    private const int Ttl = 60;
    private readonly ConcurrentDictionary<string, ConcurrentBag<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _failing = new(StringComparer.OrdinalIgnoreCase);
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
        Add(domain, new MxRecord(DnsName.Parse(domain), Ttl, preference, DnsName.Parse(exchange)));

    /// <summary>RFC 7505: one MX of preference 0 whose exchange is the root, "this domain takes no mail".</summary>
    public LoopbackDnsServer NullMx(string domain) =>
        Add(domain, new MxRecord(DnsName.Parse(domain), Ttl, 0, DnsName.Root));

    public LoopbackDnsServer Address(string name, string address)
    {
        var ip = IPAddress.Parse(address);
        return Add(name, ip.AddressFamily == AddressFamily.InterNetworkV6
            ? new AaaaRecord(DnsName.Parse(name), Ttl, ip)
            : new ARecord(DnsName.Parse(name), Ttl, ip));
    }

    /// <summary>A TXT record of one or more character-strings (a DKIM key record is split into strings of up to 255 octets).</summary>
    public LoopbackDnsServer Txt(string name, IEnumerable<string> strings) =>
        Add(name, new TxtRecord(DnsName.Parse(name), Ttl, strings));

    /// <summary>A PTR record of the address's reverse name (in-addr.arpa or ip6.arpa) that points to <paramref name="name"/>.</summary>
    public LoopbackDnsServer Pointer(string address, string name)
    {
        var reverse = IPAddress.Parse(address).GetReverseLookupDomain();
        return Add(reverse.ToString(), new PtrRecord(reverse, Ttl, DnsName.Parse(name)));
    }

    public LoopbackDnsServer ServerFailure(string name)
    {
        _failing[Key(name)] = 0;
        return this;
    }

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
        if (_failing.ContainsKey(name))
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
        }

        e.Response = response;
    }

    private static string Key(string name) => name.TrimEnd('.');

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
