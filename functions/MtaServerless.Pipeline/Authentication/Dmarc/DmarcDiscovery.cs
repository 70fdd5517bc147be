using Microsoft.Extensions.Logging;

namespace MtaServerless.Pipeline.Authentication.Dmarc;

/// <summary>A DMARC record and the domain that published it.</summary>
internal sealed record PublishedRecord(string Domain, DmarcRecord Record);

/// <summary>What one DNS Tree Walk (DMARCbis 4.10) found, from the longest name to the shortest.</summary>
/// <param name="TempError">A query failed and the walk stopped there: what lies above is unknown.</param>
internal sealed record DmarcWalk(string Start, IReadOnlyList<PublishedRecord> Found, bool TempError)
{
    /// <summary>
    /// DMARCbis 4.10.2: the record with psd=n; one label below the record with psd=y (unless that record is the start's);
    /// otherwise the record at the fewest labels; the start itself when nothing was found. A walk stops at the first
    /// psd=y or psd=n record, so only the last record found can carry either.
    /// </summary>
    public string OrganizationalDomain => Found.Count == 0
        ? Start
        : Found[^1] is { Record.PublicSuffix: PublicSuffixFlag.Yes } suffix && suffix.Domain != Start
            ? DmarcDiscovery.Suffix(Start, DmarcDiscovery.Labels(suffix.Domain) + 1)
            : Found[^1].Domain;

    /// <summary>DMARCbis 4.10.1, for an Author Domain without a record of its own: its Organizational Domain's record, else its Public Suffix Domain's.</summary>
    public PublishedRecord? PolicyRecord =>
        Found.FirstOrDefault(f => f.Domain == OrganizationalDomain)
        ?? Found.LastOrDefault(f => f.Record.PublicSuffix == PublicSuffixFlag.Yes);
}

/// <summary>
/// The DNS Tree Walks of one evaluation: each <c>_dmarc</c> name is queried at most once, however many walks (the
/// Author Domain's, the SPF and DKIM identifiers') pass it, and a walk makes at most eight queries.
/// </summary>
internal sealed partial class DmarcDiscovery(AuthenticationDns dns, ILogger logger, CancellationToken cancellationToken)
{
    /// <summary>DMARCbis 4.10 step 4: a longer name jumps to its last seven labels after the first query, so a walk is at most eight queries.</summary>
    private const int ShortenedLabels = 7;

    private readonly Dictionary<string, DmarcLookup> _lookups = new(StringComparer.Ordinal);

    /// <summary>The one DMARC record at <c>_dmarc.</c><paramref name="domain"/>; none when there is none, or more than one (DMARCbis 4.10 step 2).</summary>
    private async Task<DmarcLookup> LookupAsync(string domain)
    {
        if (_lookups.TryGetValue(domain, out var known))
        {
            return known;
        }

        var name = "_dmarc." + domain;
        var answer = await dns.TxtAsync(name, cancellationToken).ConfigureAwait(false);
        DmarcLookup lookup;
        if (answer.Outcome == DnsOutcome.TempError)
        {
            LogTempError(logger, name);
            lookup = DmarcLookup.Failed;
        }
        else
        {
            var records = answer.Records.Select(DmarcRecord.Parse).OfType<DmarcRecord>().ToList();
            if (records.Count > 1)
            {
                LogMultipleRecords(logger, name, records.Count);
            }

            lookup = records.Count == 1 ? new DmarcLookup(records[0], TempError: false) : DmarcLookup.Nothing;
        }

        _lookups[domain] = lookup;
        return lookup;
    }

    /// <summary>
    /// DMARCbis 4.10.1: the Author Domain's own record, else the one its walk selects; null when there is none.
    /// <paramref name="author"/>'s query is the walk's first, so it is made once.
    /// </summary>
    public async Task<(PublishedRecord? Applied, bool TempError)> PolicyRecordAsync(string author)
    {
        var own = await LookupAsync(author).ConfigureAwait(false);
        if (own.TempError || own.Record is not null)
        {
            return (own.Record is { } record ? new PublishedRecord(author, record) : null, own.TempError);
        }

        var walk = await WalkAsync(author).ConfigureAwait(false);
        return (walk.TempError ? null : walk.PolicyRecord, walk.TempError);
    }

    public async Task<DmarcWalk> WalkAsync(string start)
    {
        var found = new List<PublishedRecord>();
        foreach (var target in Targets(start))
        {
            var lookup = await LookupAsync(target).ConfigureAwait(false);
            if (lookup.TempError)
            {
                return new DmarcWalk(start, found, TempError: true);
            }

            if (lookup.Record is { } record)
            {
                found.Add(new PublishedRecord(target, record));
                if (record.PublicSuffix != PublicSuffixFlag.Unknown)
                {
                    break;
                }
            }
        }

        return new DmarcWalk(start, found, TempError: false);
    }

    /// <summary>The names a walk queries: the start, then from at most seven labels one label fewer each time, down to the top-level domain.</summary>
    internal static IEnumerable<string> Targets(string start)
    {
        yield return start;
        for (var labels = Math.Min(Labels(start) - 1, ShortenedLabels); labels >= 1; labels--)
        {
            yield return Suffix(start, labels);
        }
    }

    internal static int Labels(string domain) => domain.Count(c => c == '.') + 1;

    /// <summary>The last <paramref name="labels"/> labels of <paramref name="domain"/>.</summary>
    internal static string Suffix(string domain, int labels) => string.Join('.', domain.Split('.')[^labels..]);

    [LoggerMessage(EventId = 3722, Level = LogLevel.Information, Message = "DMARC query for {Name} failed; the result is temperror")]
    private static partial void LogTempError(ILogger logger, string name);

    [LoggerMessage(EventId = 3723, Level = LogLevel.Information, Message = "{Name} has {Count} DMARC records; none of them applies")]
    private static partial void LogMultipleRecords(ILogger logger, string name, int count);
}

/// <param name="Record">The one DMARC record at the name; null when there is none.</param>
internal readonly record struct DmarcLookup(DmarcRecord? Record, bool TempError)
{
    public static DmarcLookup Nothing => default;

    public static DmarcLookup Failed => new(null, TempError: true);
}
