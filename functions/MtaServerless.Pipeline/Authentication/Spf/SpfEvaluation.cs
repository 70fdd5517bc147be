using System.Net;
using System.Net.Sockets;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>
/// One check_host() (RFC 7208 section 4) for one client and sender, with its includes and redirects; it owns the limits
/// of section 4.6.4 that span all of them: 10 terms that query DNS, 2 void lookups.
/// </summary>
internal sealed class SpfEvaluation(AuthenticationDns dns, IPAddress client, SpfIdentity identity, CancellationToken cancellationToken)
{
    private const int MaxLookupTerms = 10;
    private const int MaxVoidLookups = 2;

    /// <summary>Of MX names (more is a permerror) and of PTR names (the rest are ignored), RFC 7208 4.6.4.</summary>
    private const int MaxNamesPerTerm = 10;

    private int _lookupTerms;
    private int _voidLookups;

    public async Task<SpfOutcome> RunAsync()
    {
        try
        {
            return await CheckHostAsync(identity.Domain).ConfigureAwait(false);
        }
        catch (SpfAbortException abort)
        {
            return new SpfOutcome(abort.Verdict, abort.Message);
        }
    }

    /// <returns>none, pass, fail, softfail or neutral; errors are thrown as <see cref="SpfAbortException"/>.</returns>
    private async Task<SpfOutcome> CheckHostAsync(string domain)
    {
        if (!SpfDomain.IsValid(domain))
        {
            return new SpfOutcome(AuthVerdict.None, $"{domain} is not a domain name");
        }

        var txt = await QueryAsync(dns.TxtAsync(domain, cancellationToken), $"TXT {domain}").ConfigureAwait(false);
        var records = txt.Records.Where(SpfRecord.IsSpf).ToList();
        switch (records.Count)
        {
            case 0:
                return new SpfOutcome(AuthVerdict.None, $"no SPF record at {domain}");
            case > 1:
                throw new SpfAbortException(AuthVerdict.PermError, $"{records.Count} SPF records at {domain}");
        }

        var record = SpfRecord.Parse(records[0], out var error) ?? throw new SpfAbortException(AuthVerdict.PermError, $"{error} at {domain}");
        foreach (var mechanism in record.Mechanisms)
        {
            if (mechanism.CausesLookup)
            {
                CountLookupTerm();
            }

            if (await MatchesAsync(mechanism, domain).ConfigureAwait(false))
            {
                return new SpfOutcome(mechanism.Result, $"mechanism {mechanism.Text} matched");
            }
        }

        if (record.Redirect is null)
        {
            return new SpfOutcome(AuthVerdict.Neutral, "no mechanism matched");
        }

        CountLookupTerm();
        var target = await ExpandAsync(record.Redirect, domain).ConfigureAwait(false);
        var redirected = await CheckHostAsync(target).ConfigureAwait(false);
        return redirected.Verdict == AuthVerdict.None
            ? throw new SpfAbortException(AuthVerdict.PermError, $"redirect={target} has no SPF record")
            : redirected;
    }

    private async Task<bool> MatchesAsync(SpfMechanism mechanism, string domain)
    {
        var target = mechanism.DomainSpec is { } spec ? await ExpandAsync(spec, domain).ConfigureAwait(false) : domain;
        switch (mechanism.Kind)
        {
            case SpfMechanismKind.All:
                return true;
            case SpfMechanismKind.Ip4 or SpfMechanismKind.Ip6:
                return AddressPrefix.Matches(client, mechanism.Network!, mechanism.Ip4Prefix, mechanism.Ip6Prefix);
            case SpfMechanismKind.A:
                return await HasClientAddressAsync(target, mechanism).ConfigureAwait(false);
            case SpfMechanismKind.Exists:
                // An A query whatever the client's family (RFC 7208 5.7).
                return (await QueryAsync(dns.AddressesAsync(target, AddressFamily.InterNetwork, cancellationToken), $"A {target}").ConfigureAwait(false)).Outcome == DnsOutcome.Found;
            case SpfMechanismKind.Mx:
                var exchanges = await QueryAsync(dns.MxAsync(target, cancellationToken), $"MX {target}").ConfigureAwait(false);
                if (exchanges.Records.Count > MaxNamesPerTerm)
                {
                    throw new SpfAbortException(AuthVerdict.PermError, $"{target} has more than {MaxNamesPerTerm} MX records");
                }

                foreach (var exchange in exchanges.Records.Where(e => e.Length > 0))
                {
                    if (await HasClientAddressAsync(exchange, mechanism).ConfigureAwait(false))
                    {
                        return true;
                    }
                }

                return false;
            case SpfMechanismKind.Ptr:
                return (await ValidatedNamesAsync().ConfigureAwait(false)).Any(name => IsWithin(name, target));
            case SpfMechanismKind.Include:
                var outcome = await CheckHostAsync(target).ConfigureAwait(false);
                return outcome.Verdict switch
                {
                    AuthVerdict.Pass => true,
                    AuthVerdict.None => throw new SpfAbortException(AuthVerdict.PermError, $"include:{target} has no SPF record"),
                    _ => false,
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism.Kind, "No such mechanism.");
        }
    }

    private async Task<bool> HasClientAddressAsync(string name, SpfMechanism mechanism)
    {
        var addresses = await QueryAsync(dns.AddressesAsync(name, client.AddressFamily, cancellationToken), $"address {name}").ConfigureAwait(false);
        return addresses.Records.Any(a => AddressPrefix.Matches(client, a, mechanism.Ip4Prefix, mechanism.Ip6Prefix));
    }

    /// <summary>
    /// The client's names whose forward lookup gives the client's address back (RFC 7208 5.5), of the first 10 PTR names.
    /// DNS errors here are no match, never a temperror: that section says so for ptr, and 7.3 gives "unknown" for %{p}.
    /// </summary>
    private async Task<List<string>> ValidatedNamesAsync()
    {
        var validated = new List<string>();
        var pointers = await AskAsync(dns.PointersAsync(client, cancellationToken)).ConfigureAwait(false);
        foreach (var name in pointers.Records.Take(MaxNamesPerTerm))
        {
            var addresses = await AskAsync(dns.AddressesAsync(name, client.AddressFamily, cancellationToken)).ConfigureAwait(false);
            if (addresses.Records.Contains(client))
            {
                validated.Add(name);
            }
        }

        return validated;
    }

    private async Task<string> ExpandAsync(string domainSpec, string domain)
    {
        var validatedName = SpfMacro.UsesValidatedName(domainSpec) ? ChooseValidatedName(await ValidatedNamesAsync().ConfigureAwait(false), domain) : null;
        return SpfMacro.ExpandDomain(domainSpec, identity.MacroValues(client, domain, validatedName));
    }

    /// <summary>The <c>p</c> macro prefers the domain itself, then one of its subdomains, then any validated name (RFC 7208 7.3).</summary>
    private static string? ChooseValidatedName(List<string> names, string domain) =>
        names.Find(n => string.Equals(n, domain, StringComparison.OrdinalIgnoreCase))
        ?? names.Find(n => IsWithin(n, domain))
        ?? names.FirstOrDefault();

    private static bool IsWithin(string name, string domain) =>
        string.Equals(name, domain, StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);

    private async Task<DnsAnswer<T>> QueryAsync<T>(Task<DnsAnswer<T>> query, string what)
    {
        var answer = await AskAsync(query).ConfigureAwait(false);
        return answer.Outcome == DnsOutcome.TempError
            ? throw new SpfAbortException(AuthVerdict.TempError, $"DNS error on {what}")
            : answer;
    }

    private async Task<DnsAnswer<T>> AskAsync<T>(Task<DnsAnswer<T>> query)
    {
        var answer = await query.ConfigureAwait(false);
        // AuthenticationDns reports a query the budget cut short as a DNS error; it is the budget's temperror.
        cancellationToken.ThrowIfCancellationRequested();
        CountVoid(answer);
        return answer;
    }

    private void CountLookupTerm()
    {
        if (++_lookupTerms > MaxLookupTerms)
        {
            throw new SpfAbortException(AuthVerdict.PermError, $"more than {MaxLookupTerms} DNS lookups");
        }
    }

    private void CountVoid<T>(DnsAnswer<T> answer)
    {
        if (answer.IsVoid && ++_voidLookups > MaxVoidLookups)
        {
            throw new SpfAbortException(AuthVerdict.PermError, $"more than {MaxVoidLookups} void DNS lookups");
        }
    }
}
