using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Mail;
using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Pipeline.Authentication.Dmarc;

/// <summary>
/// DMARCbis (RFC 9989) by the DNS Tree Walk, without a public suffix list: the policy record is the Author Domain's,
/// else its Organizational Domain's, else its Public Suffix Domain's; relaxed alignment compares Organizational Domains
/// found by walks of their own. A DNS failure that could change the result is temperror.
/// </summary>
public sealed partial class DmarcEvaluator(AuthenticationDns dns, ILogger<DmarcEvaluator> logger) : IDmarcEvaluator
{
    private enum Alignment
    {
        None,
        Aligned,

        /// <summary>A walk needed for relaxed alignment failed.</summary>
        Unknown,
    }

    public async Task<DmarcResult> EvaluateAsync(string fromDomain, SpfResult spf, IReadOnlyList<DkimResult> dkim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fromDomain);
        ArgumentNullException.ThrowIfNull(spf);
        ArgumentNullException.ThrowIfNull(dkim);
        var result = DomainName.TryNormalize(fromDomain, out var author)
            ? await EvaluateAsync(author, spf, dkim, new DmarcDiscovery(dns, logger, cancellationToken), cancellationToken).ConfigureAwait(false)
            : new DmarcResult(AuthVerdict.PermError, fromDomain, DmarcRequest.None, null, "the From domain is not a domain name");
        LogResult(logger, result.FromDomain, result.Verdict, result.Policy, result.PolicyDomain, result.Reason);
        return result;
    }

    private async Task<DmarcResult> EvaluateAsync(
        string author, SpfResult spf, IReadOnlyList<DkimResult> dkim, DmarcDiscovery discovery, CancellationToken cancellationToken)
    {
        var (applied, policyUnknown) = await discovery.PolicyRecordAsync(author).ConfigureAwait(false);
        if (policyUnknown)
        {
            return TempError(author, "DNS error looking up the policy");
        }

        if (applied is null)
        {
            return new DmarcResult(AuthVerdict.None, author, DmarcRequest.None, null, "no DMARC record");
        }

        var policy = applied.Record;
        if (!policy.HasPolicy)
        {
            return new DmarcResult(AuthVerdict.None, author, DmarcRequest.None, null, $"the DMARC record of {applied.Domain} has no valid policy and no rua");
        }

        var spfAlignment = spf is { Verdict: AuthVerdict.Pass, FromHelo: false }
            ? await AlignAsync(spf.Domain, author, policy.SpfAlignment, discovery).ConfigureAwait(false)
            : Alignment.None;
        if (spfAlignment == Alignment.Aligned)
        {
            return Pass(author, applied, $"SPF {spf.Domain} aligned");
        }

        var unknown = spfAlignment == Alignment.Unknown;
        foreach (var signer in dkim.Where(s => s.Verdict == AuthVerdict.Pass).Select(s => s.Domain).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var alignment = await AlignAsync(signer, author, policy.DkimAlignment, discovery).ConfigureAwait(false);
            if (alignment == Alignment.Aligned)
            {
                return Pass(author, applied, $"DKIM d={signer} aligned");
            }

            unknown |= alignment == Alignment.Unknown;
        }

        if (unknown)
        {
            return TempError(author, "DNS error looking up an Organizational Domain");
        }

        var requested = await RequestedAsync(author, applied, cancellationToken).ConfigureAwait(false);
        return requested is { } request
            ? new DmarcResult(AuthVerdict.Fail, author, request, applied.Domain, "no aligned SPF or DKIM pass", policy.Testing)
            : TempError(author, "DNS error looking up the From domain");
    }

    /// <summary>Strict: the same name. Relaxed: the same Organizational Domain, which must be the identifier or one of its parents.</summary>
    private static async Task<Alignment> AlignAsync(string identifier, string author, AlignmentMode mode, DmarcDiscovery discovery)
    {
        if (!DomainName.TryNormalize(identifier, out var domain))
        {
            return Alignment.None;
        }

        if (domain == author)
        {
            return Alignment.Aligned;
        }

        if (mode == AlignmentMode.Strict)
        {
            return Alignment.None;
        }

        var authorWalk = await discovery.WalkAsync(author).ConfigureAwait(false);
        if (authorWalk.TempError)
        {
            return Alignment.Unknown;
        }

        var organization = authorWalk.OrganizationalDomain;
        if (domain != organization && !domain.EndsWith("." + organization, StringComparison.Ordinal))
        {
            return Alignment.None;
        }

        var identifierWalk = await discovery.WalkAsync(domain).ConfigureAwait(false);
        return identifierWalk.TempError ? Alignment.Unknown
            : identifierWalk.OrganizationalDomain == organization ? Alignment.Aligned
            : Alignment.None;
    }

    /// <summary>
    /// DMARCbis 4.10.1: p= for the Author Domain's own record; for a parent's, sp= for an existing Author Domain and
    /// np= for one that does not exist, each falling back to the next. Null when whether it exists is unknown.
    /// </summary>
    private async Task<DmarcRequest?> RequestedAsync(string author, PublishedRecord applied, CancellationToken cancellationToken)
    {
        var record = applied.Record;
        if (applied.Domain == author)
        {
            return record.Policy;
        }

        var existing = record.SubdomainPolicy ?? record.Policy;
        if (record.NonExistentPolicy is not { } nonExistent || nonExistent == existing)
        {
            return existing;
        }

        return await ExistsAsync(author, cancellationToken).ConfigureAwait(false) switch
        {
            true => existing,
            false => nonExistent,
            null => null,
        };
    }

    /// <summary>A name that answers NXDOMAIN (RFC 8020) to its A, AAAA and MX queries does not exist; any other answer says it does.</summary>
    private async Task<bool?> ExistsAsync(string domain, CancellationToken cancellationToken)
    {
        var outcomes = await Task.WhenAll(
            Outcome(dns.AddressesAsync(domain, AddressFamily.InterNetwork, cancellationToken)),
            Outcome(dns.AddressesAsync(domain, AddressFamily.InterNetworkV6, cancellationToken)),
            Outcome(dns.MxAsync(domain, cancellationToken))).ConfigureAwait(false);
        return outcomes.Any(o => o is DnsOutcome.Found or DnsOutcome.NoData) ? true
            : outcomes.All(o => o == DnsOutcome.NonExistent) ? false
            : null;

        static async Task<DnsOutcome> Outcome<T>(Task<DnsAnswer<T>> query) => (await query.ConfigureAwait(false)).Outcome;
    }

    private static DmarcResult Pass(string author, PublishedRecord applied, string reason) =>
        new(AuthVerdict.Pass, author, DmarcRequest.None, applied.Domain, reason, applied.Record.Testing);

    private static DmarcResult TempError(string author, string reason) =>
        new(AuthVerdict.TempError, author, DmarcRequest.None, null, reason);

    [LoggerMessage(EventId = 3721, Level = LogLevel.Debug, Message = "DMARC for {FromDomain}: {Verdict}, policy {Policy} from {PolicyDomain} ({Reason})")]
    private static partial void LogResult(ILogger logger, string fromDomain, AuthVerdict verdict, DmarcRequest policy, string? policyDomain, string? reason);
}
