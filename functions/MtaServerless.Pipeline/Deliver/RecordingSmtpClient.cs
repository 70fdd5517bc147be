using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// MailKit's client with per-recipient RCPT replies recorded instead of thrown, so that one
/// rejected recipient does not fail the others, and with the sender's DSN request passed on.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    private readonly Dictionary<string, SmtpResponse> _rejected = new(StringComparer.OrdinalIgnoreCase);
    private readonly DsnRequest? _dsn;

    /// <param name="dsn">What the sender asked of delivery status notifications; MailKit sends it only to a hop that offers DSN.</param>
    public RecordingSmtpClient(DsnRequest? dsn)
    {
        _dsn = dsn;
        DeliveryStatusNotificationType = dsn?.Ret?.ToUpperInvariant() switch
        {
            "FULL" => DeliveryStatusNotificationType.Full,
            "HDRS" => DeliveryStatusNotificationType.HeadersOnly,
            _ => DeliveryStatusNotificationType.Unspecified,
        };
    }

    /// <summary>The recipient's own RCPT rejection when there was one, else the reply that decided the transaction.</summary>
    public RecipientOutcome Outcome(string recipient, int code, string reply) =>
        _rejected.TryGetValue(recipient, out var rejected)
            ? new RecipientOutcome(recipient, (int)rejected.StatusCode, $"{(int)rejected.StatusCode} {rejected.Response}")
            : new RecipientOutcome(recipient, code, reply);

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        _rejected[mailbox.Address] = response;

    protected override string GetEnvelopeId(MimeMessage message) => _dsn?.EnvId!;

    /// <remarks>MailKit then adds ORCPT=rfc822;&lt;this recipient&gt;: right when the client gave no ORCPT or the same address, the usual case.</remarks>
    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (_dsn is null || !_dsn.Notify.TryGetValue(mailbox.Address, out var notify))
        {
            return null;
        }

        var keywords = notify.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (keywords.Contains("NEVER", StringComparer.OrdinalIgnoreCase))
        {
            return DeliveryStatusNotification.Never;
        }

        var flags = default(DeliveryStatusNotification);
        foreach (var keyword in keywords)
        {
            flags |= keyword.ToUpperInvariant() switch
            {
                "SUCCESS" => DeliveryStatusNotification.Success,
                "FAILURE" => DeliveryStatusNotification.Failure,
                "DELAY" => DeliveryStatusNotification.Delay,
                _ => default,
            };
        }

        return flags == default ? null : flags;
    }
}
