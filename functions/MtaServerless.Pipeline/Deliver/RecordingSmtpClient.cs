using MailKit.Net.Smtp;
using MimeKit;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// MailKit's client with per-recipient RCPT replies recorded instead of thrown, so that one
/// rejected recipient does not fail the others.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    private readonly Dictionary<string, SmtpResponse> _rejected = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The recipient's own RCPT rejection when there was one, else the reply that decided the transaction.</summary>
    public RecipientOutcome Outcome(string recipient, int code, string reply) =>
        _rejected.TryGetValue(recipient, out var rejected)
            ? new RecipientOutcome(recipient, (int)rejected.StatusCode, $"{(int)rejected.StatusCode} {rejected.Response}")
            : new RecipientOutcome(recipient, code, reply);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        _rejected[mailbox.Address] = response;
}
