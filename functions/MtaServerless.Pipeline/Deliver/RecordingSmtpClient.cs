using MailKit.Net.Smtp;
using MimeKit;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// MailKit's client with per-recipient RCPT replies recorded instead of thrown, so that one
/// rejected recipient does not fail the others.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    public Dictionary<string, SmtpResponse> RejectedRecipients { get; } = new(StringComparer.Ordinal);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RejectedRecipients[mailbox.Address] = response;
}
