using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Dns;

/// <summary>
/// RFC 5321 section 5.1 with DnsClient.NET: MX records by preference, shuffled within one preference
/// so that equal hosts share the load; no MX means the domain's own A/AAAA (the implicit MX); a null
/// MX (RFC 7505) and NXDOMAIN are permanent; SERVFAIL and timeouts are transient.
/// </summary>
public sealed partial class MxResolver
{
    private readonly LookupClient _dns;
    private readonly ILogger<MxResolver> _logger;
    private readonly int _maxHosts;
    private readonly TimeSpan _budget;

    public MxResolver(IOptions<PipelineOptions> options, ILogger<MxResolver> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _dns = DnsLookup.Create(settings.NameServers, settings.DnsTimeout);
        _logger = logger;
        _maxHosts = settings.MaxHostsTried;
        _budget = settings.DnsTimeout * PipelineOptions.DnsTimeoutsPerResolution;
    }

    /// <param name="port">The port every host is tried on (the route's; 25 in production, another in tests).</param>
    public async Task<MxResolution> ResolveAsync(string domain, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domain);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_budget);
        try
        {
            return await ResolveWithinAsync(domain, port, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogOverBudget(_logger, domain, _budget);
            return MxResolution.Failed(LocalOutcomes.DirectoryFailure);
        }
    }

    private async Task<MxResolution> ResolveWithinAsync(string domain, int port, CancellationToken cancellationToken)
    {
        var mx = await QueryAsync(domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        if (mx.Failure is { } mxFailure)
        {
            return mxFailure;
        }

        var records = mx.Response!.Answers.MxRecords().ToList();
        if (records is [{ Preference: 0 } only] && IsRoot(only.Exchange))
        {
            return MxResolution.Failed(LocalOutcomes.NullMx);
        }

        var exchanges = records.Count == 0
            ? [domain]
            : records.Where(r => !IsRoot(r.Exchange))
                .GroupBy(r => r.Preference)
                .OrderBy(g => g.Key)
                .SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))
                .Select(r => r.Exchange.Value.TrimEnd('.'))
                .ToList();

        var hosts = new List<NextHop>();
        var transient = false;
        foreach (var exchange in exchanges.TakeWhile(_ => hosts.Count < _maxHosts))
        {
            var addresses = await AddressesAsync(exchange, cancellationToken).ConfigureAwait(false);
            transient |= addresses is null;
            hosts.AddRange((addresses ?? []).Select(a => new NextHop(exchange, port, a)));
        }

        if (hosts.Count > 0)
        {
            return new MxResolution(hosts.Take(_maxHosts).ToList());
        }

        LogNoAddresses(_logger, domain, transient);
        return records.Count == 0 && !transient
            ? MxResolution.Failed(LocalOutcomes.NoMailServer)
            : MxResolution.Failed(LocalOutcomes.MailServerHasNoAddress);
    }

    /// <returns>IPv4 first, then IPv6; null when a lookup failed transiently.</returns>
    private async Task<IReadOnlyList<IPAddress>?> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        var found = new List<IPAddress>();
        var failed = false;
        foreach (var type in new[] { QueryType.A, QueryType.AAAA })
        {
            var answer = await QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
            if (answer.Failure?.Failure is { IsTransient: true })
            {
                failed = true;
            }

            if (answer.Response is { } response)
            {
                found.AddRange(response.Answers.ARecords().Select(r => r.Address));
                found.AddRange(response.Answers.AaaaRecords().Select(r => r.Address));
            }
        }

        return found.Count == 0 && failed ? null : found;
    }

    private async Task<(IDnsQueryResponse? Response, MxResolution? Failure)> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _dns.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            if (!response.HasError)
            {
                return (response, null);
            }

            LogDnsError(_logger, name, type, response.ErrorMessage);
            return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain
                ? (null, MxResolution.Failed(LocalOutcomes.DomainDoesNotExist))
                : (null, MxResolution.Failed(LocalOutcomes.DirectoryFailure));
        }
        catch (DnsResponseException ex)
        {
            LogDnsFailure(_logger, name, type, ex);
            return (null, MxResolution.Failed(LocalOutcomes.DirectoryFailure));
        }
    }

    private static bool IsRoot(DnsString exchange) => exchange.Value is "." or "";

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "DNS {Type} query for {Name} failed: {Error}")]
    private static partial void LogDnsError(ILogger logger, string name, QueryType type, string error);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "DNS {Type} query for {Name} got no answer")]
    private static partial void LogDnsFailure(ILogger logger, string name, QueryType type, Exception exception);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Resolving the mail servers of {Domain} took longer than {Budget}; trying again later")]
    private static partial void LogOverBudget(ILogger logger, string domain, TimeSpan budget);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "No address for any mail server of {Domain} (transient: {Transient})")]
    private static partial void LogNoAddresses(ILogger logger, string domain, bool transient);
}
