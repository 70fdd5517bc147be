using MtaServerless.Core.Mail;

namespace MtaServerless.Core.Users;

/// <summary>
/// Whom a logged-in account may send as (MAIL FROM, and the From: and Sender: fields): its own address, the
/// addresses its row lists, and every address of a domain its row lists as <c>*@domain</c>. Addresses compare as
/// RFC 5321 says: the domain case-insensitively and as an A-label (a U-label is the same domain), the local part
/// exactly, quoting aside (<c>"a.b"</c> is <c>a.b</c>), UTF-8 included.
/// </summary>
public sealed class SenderPermissions
{
    private const string AnyLocalPart = "*@";

    private readonly HashSet<(string LocalPart, string Domain)> _addresses = [];
    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);

    private SenderPermissions(UserAccount account)
    {
        // The login is stored in lower case (NormalizeName), so that is the form of its own address that is allowed.
        if (MailboxAddress.TryParse(account.Name, out var own))
        {
            _addresses.Add((own.UnquotedLocalPart, own.Domain));
        }

        foreach (var entry in account.AllowedSenders)
        {
            if (!TryNormalizeEntry(entry, out var normalized))
            {
                continue;
            }

            if (normalized.StartsWith(AnyLocalPart, StringComparison.Ordinal))
            {
                _domains.Add(normalized[AnyLocalPart.Length..]);
            }
            else
            {
                var address = MailboxAddress.Parse(normalized);
                _addresses.Add((address.UnquotedLocalPart, address.Domain));
            }
        }
    }

    public static SenderPermissions For(UserAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return new SenderPermissions(account);
    }

    /// <param name="sender">An address whose domain is normalized (an A-label), as the edge and <see cref="MailboxAddress.TryParse"/> make it.</param>
    public bool Allows(MailboxAddress sender) =>
        _domains.Contains(sender.Domain) || _addresses.Contains((sender.UnquotedLocalPart, sender.Domain));

    /// <summary>Checks an entry for a users row: <c>local@domain</c> (RFC 5321 syntax, UTF-8 allowed) or <c>*@domain</c>.</summary>
    /// <param name="normalized">The stored form: the local part as given, the domain as a lower-case A-label.</param>
    public static bool TryNormalizeEntry(string entry, out string normalized)
    {
        ArgumentNullException.ThrowIfNull(entry);
        normalized = string.Empty;
        var text = entry.Trim();

        // The row keeps its entries separated by commas; a quoted local part holding one cannot be listed.
        if (text.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        // "*" is no local part, so a placeholder one lets the grammar check the domain.
        var wildcard = text.StartsWith(AnyLocalPart, StringComparison.Ordinal);
        if (!MailboxSyntax.TryParse(wildcard ? "x" + text[1..] : text, utf8: true, out var address) || MailboxSyntax.IsAddressLiteral(address))
        {
            return false;
        }

        normalized = wildcard ? AnyLocalPart + address.Domain : address.ToString();
        return true;
    }
}
