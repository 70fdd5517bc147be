using System.Text.RegularExpressions;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>The domain names check_host() accepts (RFC 7208 4.3) and the toplabel of its ABNF (section 4.6.1).</summary>
internal static partial class SpfDomain
{
    /// <summary>
    /// A multi-label name whose labels are 1 to 63 octets, at most 253 in all, ending in a toplabel; an address literal
    /// or a bare address is none of those (RFC 7208 4.3: check_host() then returns none).
    /// </summary>
    public static bool IsValid(string domain)
    {
        var name = domain.EndsWith('.') ? domain[..^1] : domain;
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        var labels = name.Split('.');
        return labels.Length >= 2
            && labels.All(l => l.Length is > 0 and <= 63 && l.All(c => c is > ' ' and <= '~' and not '@' and not '[' and not ']'))
            && IsTopLabel(labels[^1]);
    }

    public static bool IsTopLabel(string label) => TopLabel().IsMatch(label);

    [GeneratedRegex("^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\\z")]
    private static partial Regex TopLabel();
}
