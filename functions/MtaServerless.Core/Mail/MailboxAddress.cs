namespace MtaServerless.Core.Mail;

/// <summary>
/// An envelope address (RFC 5321 Mailbox): a local part kept as the client sent it and a domain
/// normalized to an A-label. The local part is split at the last <c>@</c>, so a quoted local part
/// containing <c>@</c> cannot move the domain. The delivery side compares recipients as this
/// normalized text with <see cref="StringComparer.Ordinal"/>: the domain is case-insensitive and
/// already lower-case here, the local part is the receiver's to interpret (RFC 5321 2.4), so
/// <c>Bob@x</c> and <c>bob@x</c> are two recipients with two outcomes.
/// </summary>
public readonly record struct MailboxAddress(string LocalPart, string Domain)
{
    public override string ToString() => $"{LocalPart}@{Domain}";

    /// <summary>
    /// The local part as the mailbox it names: a quoted string without its quotes and backslashes, since
    /// <c>"a.b"</c> and <c>a.b</c> are one local part (RFC 5321 4.1.2), and otherwise as sent, case included.
    /// </summary>
    public string UnquotedLocalPart
    {
        get
        {
            if (LocalPart.Length < 2 || LocalPart[0] != '"' || LocalPart[^1] != '"')
            {
                return LocalPart;
            }

            var unquoted = new System.Text.StringBuilder(LocalPart.Length);
            for (var i = 1; i < LocalPart.Length - 1; i++)
            {
                if (LocalPart[i] == '\\' && i + 1 < LocalPart.Length - 1)
                {
                    i++;
                }

                unquoted.Append(LocalPart[i]);
            }

            return unquoted.ToString();
        }
    }

    public static bool TryParse(string address, out MailboxAddress mailbox)
    {
        mailbox = default;
        if (string.IsNullOrEmpty(address))
        {
            return false;
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return false;
        }

        if (!DomainName.TryNormalize(address[(at + 1)..], out var domain))
        {
            return false;
        }

        mailbox = new MailboxAddress(address[..at], domain);
        return true;
    }

    public static MailboxAddress Parse(string address) =>
        TryParse(address, out var mailbox) ? mailbox : throw new FormatException($"'{address}' is not a mailbox address.");
}
