using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
namespace MtaServerless.Core.Mail;

/// <summary>
/// RFC 5321 4.1.2 <c>Mailbox</c>: a dot-string or quoted-string local part, then a domain or an address literal;
/// with SMTPUTF8 declared, RFC 6531 3.3 adds UTF-8 to atoms, quoted strings and domain labels. At the edge only a
/// mailbox this grammar accepts reaches a policy decision; the CLI holds the addresses it stores to the same rules.
/// </summary>
public static class MailboxSyntax
{
    // RFC 5322 3.2.3 atext, the characters of an unquoted local part besides letters and digits.
    private static readonly SearchValues<char> AtomSpecials = SearchValues.Create("!#$%&'*+-/=?^_`{|}~");

    /// <param name="address">The text between the brackets, source route removed.</param>
    /// <param name="mailbox">The domain as an A-label, or an address literal as sent (it routes nowhere, see <see cref="IsAddressLiteral"/>).</param>
    public static bool TryParse(string address, bool utf8, out MailboxAddress mailbox)
    {
        ArgumentNullException.ThrowIfNull(address);
        mailbox = default;
        var end = LocalPartEnd(address, utf8);
        if (end <= 0 || end >= address.Length - 1 || address[end] != '@')
        {
            return false;
        }

        var domain = address.AsSpan(end + 1);
        if (domain[0] == '[')
        {
            if (!IsAddressLiteral(domain))
            {
                return false;
            }

            mailbox = new MailboxAddress(address[..end], domain.ToString());
            return true;
        }

        return IsDomain(domain, utf8) && MailboxAddress.TryParse(address, out mailbox);
    }

    /// <summary>RFC 5321 4.1.1.3's source route <c>@one,@two</c> (before its colon): At-domains separated by commas.</summary>
    public static bool IsSourceRoute(ReadOnlySpan<char> route, bool utf8)
    {
        foreach (var range in route.Split(','))
        {
            var hop = route[range];
            if (hop.Length < 2 || hop[0] != '@' || !IsDomain(hop[1..], utf8))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for a domain given as <c>[192.0.2.1]</c> or <c>[IPv6:...]</c>: valid syntax, but no route is keyed by it.</summary>
    public static bool IsAddressLiteral(MailboxAddress mailbox) => mailbox.Domain.StartsWith('[');

    /// <returns>The index just past the local part, or -1 when it is neither a dot-string nor a quoted string.</returns>
    private static int LocalPartEnd(string address, bool utf8)
    {
        if (address.StartsWith('"'))
        {
            for (var i = 1; i < address.Length; i++)
            {
                var c = address[i];
                if (c == '"')
                {
                    return i + 1;
                }

                // quoted-pairSMTP is a backslash and one printable ASCII character; qtextSMTP is printable ASCII but the quote and the backslash.
                if (c == '\\')
                {
                    i++;
                    if (i == address.Length || address[i] is < ' ' or > '~')
                    {
                        return -1;
                    }
                }
                else if (!(c is >= ' ' and <= '~' || (utf8 && c > '\x7f')))
                {
                    return -1;
                }
            }

            return -1;
        }

        var atom = 0;
        for (var i = 0; i < address.Length; i++)
        {
            var c = address[i];
            if (c == '@')
            {
                return atom > 0 ? i : -1;
            }

            if (c == '.')
            {
                if (atom == 0)
                {
                    return -1;
                }

                atom = 0;
            }
            else if (char.IsAsciiLetterOrDigit(c) || AtomSpecials.Contains(c) || (utf8 && c > '\x7f'))
            {
                atom++;
            }
            else
            {
                return -1;
            }
        }

        return -1;
    }

    // Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str], or a U-label under SMTPUTF8 (whose
    // own rules IDNA checks when the domain is normalized). No empty label, so no trailing dot either.
    private static bool IsDomain(ReadOnlySpan<char> domain, bool utf8)
    {
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.IsEmpty || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || (utf8 && c > '\x7f')))
                {
                    return false;
                }
            }
        }

        return true;
    }

    // IPv4-address-literal is four Snum (at most three digits, up to 255); IPv6-address-literal is "IPv6:" and an
    // address. General-address-literal needs a tag registered with IANA, and none is but IPv6.
    private static bool IsAddressLiteral(ReadOnlySpan<char> literal)
    {
        if (literal.Length < 3 || literal[^1] != ']')
        {
            return false;
        }

        var inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            var text = inner[5..];
            return text.IndexOfAnyExcept("0123456789abcdefABCDEF:.") < 0
                && IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = 0;
        foreach (var range in inner.Split('.'))
        {
            var snum = inner[range];
            if (++parts > 4 || snum.Length is 0 or > 3 || snum.IndexOfAnyExceptInRange('0', '9') >= 0 || int.Parse(snum, NumberStyles.None, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return parts == 4;
    }
}
