using MimeKit;
using MtaServerless.Core.Mail;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// The domain a message's author names: DKIM signs our users' mail for it, DMARC evaluates received mail against it.
/// RFC 5322 3.6 allows exactly one <c>From:</c> field; it may hold several mailboxes, which then must share one domain.
/// </summary>
public static class AuthorDomain
{
    /// <returns>The domain as a lower-case A-label (a U-label is converted), or null when there is no one domain.</returns>
    public static string? Of(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Headers.Count(h => h.Id == HeaderId.From) != 1)
        {
            return null;
        }

        var domains = message.From.Mailboxes
            .Select(m => DomainName.TryNormalize(m.Domain ?? string.Empty, out var domain) ? domain : null)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return domains is [{ } only] ? only : null;
    }

    /// <summary>
    /// Every domain the <c>From:</c> fields name, for DMARC: a message with more than one field (which RFC 5322 forbids) or
    /// with mailboxes of several domains in one is how a forger hides a protected domain next to one of its own, so each
    /// counts. Mailboxes whose domain is not a domain name, and fields that are not address lists, name none.
    /// </summary>
    /// <returns>The distinct domains as lower-case A-labels, in the order they first appear.</returns>
    public static IReadOnlyList<string> All(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Headers
            .Where(h => h.Id == HeaderId.From)
            .SelectMany(h => InternetAddressList.TryParse(ParserOptions.Default, h.RawValue, out var list) ? list.Mailboxes : [])
            .Select(m => DomainName.TryNormalize(m.Domain ?? string.Empty, out var domain) ? domain : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }
}
