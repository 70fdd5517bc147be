using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MtaServerless.Pipeline.Authentication.Spf;

internal enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>One directive of a record (RFC 7208 section 5), its syntax checked before anything is evaluated.</summary>
/// <param name="Result">What a match returns: its qualifier's result.</param>
/// <param name="Text">The term as written, for the reason of a match.</param>
/// <param name="DomainSpec">The unexpanded target of include, exists, a, mx and ptr; null for the current domain.</param>
/// <param name="Network">The address of ip4 and ip6.</param>
/// <param name="Ip4Prefix">The prefix of the IPv4 addresses compared (ip4, a, mx).</param>
/// <param name="Ip6Prefix">The prefix of the IPv6 addresses compared (ip6, a, mx).</param>
internal sealed partial record SpfMechanism(
    AuthVerdict Result, SpfMechanismKind Kind, string Text, string? DomainSpec, IPAddress? Network, int Ip4Prefix, int Ip6Prefix)
{
    /// <summary>The terms RFC 7208 4.6.4 counts against the limit of 10 DNS lookups.</summary>
    public bool CausesLookup => Kind is SpfMechanismKind.Include or SpfMechanismKind.A or SpfMechanismKind.Mx
        or SpfMechanismKind.Ptr or SpfMechanismKind.Exists;

    /// <returns>Null when the term is not a valid mechanism: a permerror for the whole record.</returns>
    public static SpfMechanism? Parse(string term)
    {
        var result = term[0] switch
        {
            '+' => AuthVerdict.Pass,
            '-' => AuthVerdict.Fail,
            '~' => AuthVerdict.SoftFail,
            '?' => AuthVerdict.Neutral,
            _ => (AuthVerdict?)null,
        };
        var body = result is null ? term : term[1..];
        var nameEnd = body.IndexOfAny([':', '/']);
        var name = (nameEnd < 0 ? body : body[..nameEnd]).ToLowerInvariant();
        var argument = nameEnd < 0 ? string.Empty : body[nameEnd..];
        var mechanism = new SpfMechanism(result ?? AuthVerdict.Pass, SpfMechanismKind.All, term, null, null, 32, 128);
        return name switch
        {
            "all" => argument.Length == 0 ? mechanism : null,
            "include" => Targeted(mechanism with { Kind = SpfMechanismKind.Include }, argument, required: true),
            "exists" => Targeted(mechanism with { Kind = SpfMechanismKind.Exists }, argument, required: true),
            "ptr" => Targeted(mechanism with { Kind = SpfMechanismKind.Ptr }, argument, required: false),
            "a" => WithDualCidr(mechanism with { Kind = SpfMechanismKind.A }, argument),
            "mx" => WithDualCidr(mechanism with { Kind = SpfMechanismKind.Mx }, argument),
            "ip4" => Ip4(mechanism with { Kind = SpfMechanismKind.Ip4 }, argument),
            "ip6" => Ip6(mechanism with { Kind = SpfMechanismKind.Ip6 }, argument),
            _ => null,
        };
    }

    private static SpfMechanism? Targeted(SpfMechanism mechanism, string argument, bool required) => argument switch
    {
        "" when !required => mechanism,
        [':', .. var spec] when SpfMacro.IsDomainSpec(spec) => mechanism with { DomainSpec = spec },
        _ => null,
    };

    private static SpfMechanism? WithDualCidr(SpfMechanism mechanism, string argument)
    {
        var match = DualCidr().Match(argument);
        if (!match.Success)
        {
            return null;
        }

        var withTarget = match.Groups["spec"].Success ? Targeted(mechanism, ":" + match.Groups["spec"].Value, required: true) : mechanism;
        var ip4 = match.Groups["ip4"].Success ? int.Parse(match.Groups["ip4"].ValueSpan, provider: null) : 32;
        var ip6 = match.Groups["ip6"].Success ? int.Parse(match.Groups["ip6"].ValueSpan, provider: null) : 128;
        return withTarget is not null && ip4 <= 32 && ip6 <= 128 ? withTarget with { Ip4Prefix = ip4, Ip6Prefix = ip6 } : null;
    }

    private static SpfMechanism? Ip4(SpfMechanism mechanism, string argument)
    {
        var match = Ip4Network().Match(argument);
        if (!match.Success)
        {
            return null;
        }

        var prefix = match.Groups["length"].Success ? int.Parse(match.Groups["length"].ValueSpan, provider: null) : 32;
        return prefix <= 32 ? mechanism with { Network = IPAddress.Parse(match.Groups["address"].ValueSpan), Ip4Prefix = prefix } : null;
    }

    private static SpfMechanism? Ip6(SpfMechanism mechanism, string argument)
    {
        var match = Ip6Network().Match(argument);
        if (!match.Success || !IPAddress.TryParse(match.Groups["address"].ValueSpan, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var prefix = match.Groups["length"].Success ? int.Parse(match.Groups["length"].ValueSpan, provider: null) : 128;
        return prefix <= 128 ? mechanism with { Network = address, Ip6Prefix = prefix } : null;
    }

    // The lazy target leaves a trailing "/n" or "//n" to the lengths; a length that is not one ("/024") stays in the
    // target, which then fails as a domain-spec.
    [GeneratedRegex("^(?::(?<spec>.*?))?(?:/(?<ip4>0|[1-9][0-9]?))?(?://(?<ip6>0|[1-9][0-9]{0,2}))?\\z", RegexOptions.Singleline)]
    private static partial Regex DualCidr();

    [GeneratedRegex(@"^:(?<address>(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(?:/(?<length>0|[1-9][0-9]?))?\z")]
    private static partial Regex Ip4Network();

    [GeneratedRegex("^:(?<address>[0-9A-Fa-f:.]+)(?:/(?<length>0|[1-9][0-9]{0,2}))?\\z")]
    private static partial Regex Ip6Network();
}
