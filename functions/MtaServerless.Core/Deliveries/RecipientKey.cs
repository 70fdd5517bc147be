using System.Text;

namespace MtaServerless.Core.Deliveries;

/// <summary>
/// Table keys may not contain <c>/ \ # ?</c> or control characters, all of which a valid local
/// part may hold; they are percent-encoded (and <c>%</c> itself), so the mapping is reversible.
/// The recipient is the normalized <see cref="Mail.MailboxAddress"/> text and case is kept: RFC 5321
/// 2.4 leaves the local part to the receiver, so <c>Bob@x</c> and <c>bob@x</c> are two keys.
/// </summary>
public static class RecipientKey
{
    private static readonly System.Buffers.SearchValues<char> Forbidden = System.Buffers.SearchValues.Create("/\\#?%");

    public static string Encode(string recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (!recipient.AsSpan().ContainsAny(Forbidden) && !recipient.Any(char.IsControl))
        {
            return recipient;
        }

        var builder = new StringBuilder(recipient.Length + 8);
        foreach (var c in recipient)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                // UTF-8 percent-encoding, so that C1 controls (U+0080-U+009F) decode back too.
                builder.Append(Uri.EscapeDataString(c.ToString()));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static string Decode(string key) => Uri.UnescapeDataString(key);
}
