using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline.Dns;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>How a query of SPF, DKIM or DMARC ended; RFC 7208 4.6.4 counts <see cref="NoData"/> and <see cref="NonExistent"/> as void lookups.</summary>
public enum DnsOutcome
{
    Found,
    NoData,
    NonExistent,

    /// <summary>A timeout, SERVFAIL or another error: the method's temperror, never a stuck check.</summary>
    TempError,
}

public sealed record DnsAnswer<T>(DnsOutcome Outcome, IReadOnlyList<T> Records)
{
    public bool IsVoid => Outcome is DnsOutcome.NoData or DnsOutcome.NonExistent;

    public static DnsAnswer<T> Failed(DnsOutcome outcome) => new(outcome, []);
}

/// <summary>
/// The queries of SPF, DKIM and DMARC, on the configured name servers (<c>Pipeline:NameServers</c>) with the
/// configured timeout. Errors are outcomes, never exceptions: each method maps them to its own temperror.
/// </summary>
public sealed class AuthenticationDns
{
    private readonly LookupClient _dns;

    public AuthenticationDns(IOptions<PipelineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dns = DnsLookup.Create(options.Value.NameServers, options.Value.DnsTimeout);
    }

    /// <summary>Each TXT record with its character-strings joined without separators (RFC 7208 3.3, RFC 6376 3.6.2.2).</summary>
    public Task<DnsAnswer<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, r => r.TxtRecords().Select(t => string.Concat(t.Text)), cancellationToken);

    public Task<DnsAnswer<IPAddress>> AddressesAsync(string name, AddressFamily family, CancellationToken cancellationToken) =>
        family == AddressFamily.InterNetworkV6
            ? QueryAsync(name, QueryType.AAAA, r => r.AaaaRecords().Select(a => a.Address), cancellationToken)
            : QueryAsync(name, QueryType.A, r => r.ARecords().Select(a => a.Address), cancellationToken);

    /// <summary>The exchanges' names, without the trailing dot, in the order the server gave.</summary>
    public Task<DnsAnswer<string>> MxAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.MX, r => r.MxRecords().Select(m => m.Exchange.Value.TrimEnd('.')), cancellationToken);

    /// <summary>The names of an address's PTR records, without the trailing dot.</summary>
    public Task<DnsAnswer<string>> PointersAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return QueryAsync(address.GetArpaName(), QueryType.PTR, r => r.PtrRecords().Select(p => p.PtrDomainName.Value.TrimEnd('.')), cancellationToken);
    }

    private async Task<DnsAnswer<T>> QueryAsync<T>(
        string name, QueryType type, Func<IReadOnlyList<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.TrimEnd('.').Split('.').Contains(string.Empty))
        {
            // An empty label (a macro that expanded to nothing): DnsClient sends it anyway and waits out the timeout.
            return DnsAnswer<T>.Failed(DnsOutcome.NonExistent);
        }

        IDnsQueryResponse response;
        try
        {
            response = await _dns.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException)
        {
            return DnsAnswer<T>.Failed(DnsOutcome.TempError);
        }
        catch (ArgumentException)
        {
            // A name no query can carry (a label over 63 octets, say): nothing by that name exists.
            return DnsAnswer<T>.Failed(DnsOutcome.NonExistent);
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return DnsAnswer<T>.Failed(DnsOutcome.NonExistent);
        }

        if (response.HasError)
        {
            return DnsAnswer<T>.Failed(DnsOutcome.TempError);
        }

        var records = select(response.Answers).ToList();
        return records.Count > 0 ? new DnsAnswer<T>(DnsOutcome.Found, records) : DnsAnswer<T>.Failed(DnsOutcome.NoData);
    }
}
