using MimeKit;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// The <c>h=</c> list of our signatures: RFC 6376 5.4.1's recommended fields that the message has, with Message-ID,
/// Sender and the MIME fields that decide how the body reads. From, To, Subject, Date and Message-ID are over-signed
/// (named once more than they occur, RFC 6376 8.15), so that none can be added after signing, present or not; so are
/// List-Unsubscribe and List-Unsubscribe-Post when present (RFC 8058 4: a receiver honours one-click unsubscription only
/// when a valid signature covers both).
/// </summary>
internal static class SignedHeaderFields
{
    private static readonly string[] Recommended =
    [
        "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    private static readonly HashSet<string> OverSigned = new(["From", "To", "Subject", "Date", "Message-ID"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> OverSignedWhenPresent = new(["List-Unsubscribe", "List-Unsubscribe-Post"], StringComparer.OrdinalIgnoreCase);

    public static IList<string> For(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var fields = new List<string>();
        foreach (var name in Recommended)
        {
            var count = Occurrences(message, name);
            if (OverSigned.Contains(name) || (count > 0 && OverSignedWhenPresent.Contains(name)))
            {
                count++;
            }

            fields.AddRange(Enumerable.Repeat(name, count));
        }

        return fields;
    }

    /// <summary>MimeKit keeps a message's Content-* fields with its body, and the signer looks for them there.</summary>
    private static int Occurrences(MimeMessage message, string name)
    {
        var headers = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? message.Body?.Headers : message.Headers;
        return headers?.Count(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? 0;
    }
}
