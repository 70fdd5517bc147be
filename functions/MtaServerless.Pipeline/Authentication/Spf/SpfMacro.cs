using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>What the macro letters of RFC 7208 section 7.3 stand for during one check_host() level.</summary>
/// <param name="ValidatedName">The <c>p</c> macro's name, computed only when a term uses it (it costs DNS queries).</param>
internal sealed record SpfMacroValues(string Sender, string LocalPart, string SenderDomain, string Helo, IPAddress Client, string Domain, string? ValidatedName);

/// <summary>The macro-string and domain-spec syntax of RFC 7208 section 7.1, and their expansion.</summary>
internal static class SpfMacro
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>The longest domain name in text form; longer expansions lose labels from the left (RFC 7208 7.3).</summary>
    private const int MaxDomainLength = 253;

    /// <summary>The value of an unknown modifier: any macro-string, including the explanation-only letters.</summary>
    public static bool IsMacroString(string text) => Walk(text, domainSpec: false, values: null, output: null).Valid;

    /// <summary>A domain-spec: a macro-string without <c>c</c>, <c>r</c>, <c>t</c>, ending in a macro or in "." toplabel ["."].</summary>
    public static bool IsDomainSpec(string text)
    {
        var walk = Walk(text, domainSpec: true, values: null, output: null);
        if (!walk.Valid || text.Length == 0)
        {
            return false;
        }

        if (walk.TrailingLiteralStart == text.Length)
        {
            return true;
        }

        var literal = text[walk.TrailingLiteralStart..];
        literal = literal.EndsWith('.') ? literal[..^1] : literal;
        var dot = literal.LastIndexOf('.');
        return dot >= 0 && SpfDomain.IsTopLabel(literal[(dot + 1)..]);
    }

    public static bool UsesValidatedName(string domainSpec) => Walk(domainSpec, domainSpec: true, values: null, output: null).UsesValidatedName;

    /// <summary>A domain-spec, already known to be valid, expanded into a name to query: no trailing dot, at most 253 characters.</summary>
    public static string ExpandDomain(string domainSpec, SpfMacroValues values)
    {
        var output = new StringBuilder();
        Walk(domainSpec, domainSpec: true, values, output);
        var name = output.ToString().TrimEnd('.');
        while (name.Length > MaxDomainLength)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            name = dot < 0 ? string.Empty : name[(dot + 1)..];
        }

        return name;
    }

    /// <summary>The <c>i</c> macro: dotted decimal for IPv4, dotted nibbles for IPv6 (RFC 7208 7.3).</summary>
    private static string DottedAddress(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Join('.', address.GetAddressBytes().SelectMany(b => new[] { b >> 4, b & 0xF }).Select(n => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture)))
            : address.ToString();

    /// <summary>One pass over a macro-string: checks its syntax and, given values, writes its expansion.</summary>
    private static MacroWalk Walk(string text, bool domainSpec, SpfMacroValues? values, StringBuilder? output)
    {
        var trailingLiteralStart = 0;
        var usesValidatedName = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '%')
            {
                if (c is < '!' or > '~')
                {
                    return MacroWalk.Invalid;
                }

                output?.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                return MacroWalk.Invalid;
            }

            switch (text[i + 1])
            {
                case '%':
                    output?.Append('%');
                    i += 2;
                    break;
                case '_':
                    output?.Append(' ');
                    i += 2;
                    break;
                case '-':
                    output?.Append("%20");
                    i += 2;
                    break;
                case '{':
                    var close = text.IndexOf('}', i + 2);
                    if (close < 0 || !TryParseExpand(text[(i + 2)..close], domainSpec, out var expand))
                    {
                        return MacroWalk.Invalid;
                    }

                    usesValidatedName |= expand.Letter == 'p';
                    if (values is not null)
                    {
                        output?.Append(expand.Apply(values));
                    }

                    i = close + 1;
                    break;
                default:
                    return MacroWalk.Invalid;
            }

            trailingLiteralStart = i;
        }

        return new MacroWalk(true, trailingLiteralStart, usesValidatedName);
    }

    private static bool TryParseExpand(string body, bool domainSpec, out MacroExpand expand)
    {
        expand = default;
        var letters = domainSpec ? "slodipvh" : "slodipvhcrt";
        if (body.Length == 0 || !letters.Contains(char.ToLowerInvariant(body[0]), StringComparison.Ordinal))
        {
            return false;
        }

        var at = 1;
        while (at < body.Length && char.IsAsciiDigit(body[at]))
        {
            at++;
        }

        var keep = int.MaxValue;
        if (at > 1)
        {
            // A count beyond int's range keeps every part, as any count above the number of parts does.
            keep = int.TryParse(body.AsSpan(1, at - 1), out var parsed) ? parsed : int.MaxValue;
            if (keep == 0)
            {
                return false;
            }
        }

        var reverse = at < body.Length && body[at] is 'r' or 'R';
        at += reverse ? 1 : 0;
        var delimiters = body[at..];
        if (delimiters.Any(d => !Delimiters.Contains(d, StringComparison.Ordinal)))
        {
            return false;
        }

        expand = new MacroExpand(char.ToLowerInvariant(body[0]), char.IsAsciiLetterUpper(body[0]), keep, reverse, delimiters.Length > 0 ? delimiters : ".");
        return true;
    }

    private readonly record struct MacroWalk(bool Valid, int TrailingLiteralStart, bool UsesValidatedName)
    {
        public static readonly MacroWalk Invalid = new(false, 0, false);
    }

    private readonly record struct MacroExpand(char Letter, bool Escape, int Keep, bool Reverse, string Delimiters)
    {
        public string Apply(SpfMacroValues values)
        {
            var parts = Value(values).Split(Delimiters.ToCharArray());
            if (Reverse)
            {
                Array.Reverse(parts);
            }

            var joined = string.Join('.', parts.Length > Keep ? parts[^Keep..] : parts);
            // Uppercase letters URL-encode everything but RFC 3986's unreserved characters (RFC 7208 7.3).
            return Escape ? Uri.EscapeDataString(joined) : joined;
        }

        private string Value(SpfMacroValues values) => Letter switch
        {
            's' => values.Sender,
            'l' => values.LocalPart,
            'o' => values.SenderDomain,
            'd' => values.Domain,
            'i' => DottedAddress(values.Client),
            'p' => values.ValidatedName ?? "unknown",
            'v' => values.Client.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
            'h' => values.Helo,
            // c, r and t are explanation-only (RFC 7208 7.3), and explanations are not expanded here.
            _ => string.Empty,
        };
    }
}
