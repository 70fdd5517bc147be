using System.Globalization;

namespace MtaServerless.Pipeline.Authentication.Dmarc;

/// <summary>Identifier alignment mode of <c>adkim=</c> and <c>aspf=</c>.</summary>
internal enum AlignmentMode
{
    Relaxed,
    Strict,
}

/// <summary>The <c>psd=</c> tag: whether the publishing domain is a Public Suffix Domain, is its own Organizational Domain, or neither is said.</summary>
internal enum PublicSuffixFlag
{
    Unknown,
    Yes,
    No,
}

/// <summary>
/// A DMARC Policy Record (DMARCbis 4.7 and 4.8). Tags with invalid values take their defaults; a record whose
/// <c>p=</c>, <c>sp=</c> or <c>np=</c> is missing or invalid but which names a valid <c>rua=</c> URI reads as
/// <c>p=none</c> (DMARCbis 4.10.1), and without one it is kept but asks for nothing (<see cref="HasPolicy"/> false).
/// </summary>
/// <param name="Testing">
/// <c>t=y</c>, or the legacy <c>pct=0</c> that <c>t=y</c> replaces (DMARCbis appendix A.6); <c>t=</c> wins when both are present,
/// and any other <c>pct=</c> is <c>t=n</c>, since DMARCbis keeps only the meanings of 0 and 100.
/// </param>
internal sealed record DmarcRecord(
    bool HasPolicy,
    DmarcRequest Policy,
    DmarcRequest? SubdomainPolicy,
    DmarcRequest? NonExistentPolicy,
    PublicSuffixFlag PublicSuffix,
    AlignmentMode DkimAlignment,
    AlignmentMode SpfAlignment,
    bool Testing)
{
    private const string Version = "DMARC1";

    /// <summary>The record in a TXT string, or null when the string is not a DMARC record (its first tag is not <c>v=DMARC1</c>).</summary>
    public static DmarcRecord? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tags = text.Split(';');
        if (!TrySplitTag(tags[0], out var name, out var value) || !name.Equals("v", StringComparison.OrdinalIgnoreCase)
            // The version is the only case-sensitive value (DMARCbis 4.8: %s"DMARC1").
            || !value.Equals(Version, StringComparison.Ordinal))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var tag in tags.Skip(1))
        {
            // A repeated tag keeps its first value: the rest of the record still says what it says.
            if (TrySplitTag(tag, out name, out value))
            {
                values.TryAdd(name, value);
            }
        }

        var policy = Request(values, "p");
        var subdomainPolicy = Request(values, "sp");
        var nonExistentPolicy = Request(values, "np");
        var policiesValid = policy is not null
            && (subdomainPolicy is not null || !values.ContainsKey("sp"))
            && (nonExistentPolicy is not null || !values.ContainsKey("np"));
        if (!policiesValid)
        {
            // DMARCbis 4.10.1: act as if "p=none" was retrieved when a reporting address shows the owner takes part.
            var reported = values.TryGetValue("rua", out var rua) && HasValidUri(rua);
            (policy, subdomainPolicy, nonExistentPolicy) = (DmarcRequest.None, null, null);
            if (!reported)
            {
                return Create(hasPolicy: false);
            }
        }

        return Create(hasPolicy: true);

        DmarcRecord Create(bool hasPolicy) => new(
            hasPolicy,
            policy ?? DmarcRequest.None,
            subdomainPolicy,
            nonExistentPolicy,
            Flag(values, "psd"),
            Alignment(values, "adkim"),
            Alignment(values, "aspf"),
            TestingRequested(values));
    }

    private static bool TrySplitTag(string tag, out string name, out string value)
    {
        var equals = tag.IndexOf('=', StringComparison.Ordinal);
        name = equals < 0 ? string.Empty : tag[..equals].Trim();
        value = equals < 0 ? string.Empty : tag[(equals + 1)..].Trim();
        return name.Length > 0;
    }

    private static DmarcRequest? Request(Dictionary<string, string> values, string tag) =>
        values.GetValueOrDefault(tag)?.ToLowerInvariant() switch
        {
            "none" => DmarcRequest.None,
            "quarantine" => DmarcRequest.Quarantine,
            "reject" => DmarcRequest.Reject,
            _ => null,
        };

    private static PublicSuffixFlag Flag(Dictionary<string, string> values, string tag) =>
        values.GetValueOrDefault(tag)?.ToLowerInvariant() switch
        {
            "y" => PublicSuffixFlag.Yes,
            "n" => PublicSuffixFlag.No,
            _ => PublicSuffixFlag.Unknown,
        };

    private static AlignmentMode Alignment(Dictionary<string, string> values, string tag) =>
        string.Equals(values.GetValueOrDefault(tag), "s", StringComparison.OrdinalIgnoreCase) ? AlignmentMode.Strict : AlignmentMode.Relaxed;

    private static bool TestingRequested(Dictionary<string, string> values) =>
        values.GetValueOrDefault("t")?.ToLowerInvariant() switch
        {
            "y" => true,
            "n" => false,
            _ => int.TryParse(values.GetValueOrDefault("pct"), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent == 0,
        };

    private static bool HasValidUri(string list) =>
        list.Split(',', StringSplitOptions.TrimEntries).Any(uri => Uri.TryCreate(uri, UriKind.Absolute, out _));
}
