using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;

namespace MtaServerless.Pipeline.Bounce;

/// <summary>
/// Builds RFC 3464 delivery status notifications with MimeKit: <c>multipart/report;
/// report-type=delivery-status</c> holding a human-readable part, the <c>message/delivery-status</c>
/// fields, and the original message or only its headers. A failure report returns the whole message when
/// RET does not say HDRS and it is not larger than the configured limit; every other report, headers only.
/// </summary>
public static class DsnBuilder
{
    public static MimeMessage Build(DsnKind kind, BounceSource source, IReadOnlyList<DeliveryEntity> recipients, MimeMessage original, DsnReturn returned, string reportingMta, DateTimeOffset now, DateTimeOffset? retryUntil)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(original);
        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = HumanText(kind, recipients, returned, reportingMta) },
            Status(kind, source, recipients, reportingMta, now, retryUntil),
            Returned(original, returned),
        };

        var dsn = new MimeMessage();
        dsn.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingMta}"));
        dsn.To.Add(new MailboxAddress(string.Empty, source.MailFrom));
        dsn.Subject = kind switch
        {
            DsnKind.Failed => "Undelivered Mail Returned to Sender",
            DsnKind.Delayed => "Delayed Mail (still being retried)",
            _ => "Successful Mail Delivery Report",
        };
        dsn.Date = now;
        dsn.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        if (original.MessageId is { Length: > 0 } originalId)
        {
            dsn.InReplyTo = originalId;
        }

        // RFC 3834: an automatic reply, which auto-responders must not answer.
        dsn.Headers.Add("Auto-Submitted", "auto-replied");
        dsn.Body = report;
        return dsn;
    }

    private static MessageDeliveryStatus Status(DsnKind kind, BounceSource source, IReadOnlyList<DeliveryEntity> recipients, string reportingMta, DateTimeOffset now, DateTimeOffset? retryUntil)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList { { "Reporting-MTA", $"dns; {reportingMta}" } };
        if (source.EnvId is { Length: > 0 } envId)
        {
            perMessage.Add("Original-Envelope-Id", envId);
        }

        perMessage.Add("Arrival-Date", DateUtils.FormatDate(source.ArrivedAt));
        status.StatusGroups.Add(perMessage);
        foreach (var recipient in recipients)
        {
            var outcome = recipient.GetOutcome();
            var fields = new HeaderList();
            if (recipient.GetOriginalRecipient() is { } original)
            {
                fields.Add("Original-Recipient", $"{original.AddressType}; {original.Address}");
            }

            fields.Add("Final-Recipient", $"rfc822; {recipient.Recipient}");
            fields.Add("Action", kind.ToString().ToLowerInvariant());
            fields.Add("Status", StatusOf(kind, outcome).ToString());
            if (outcome is { Source: OutcomeSource.Remote, Host: { Length: > 0 } remote })
            {
                fields.Add("Remote-MTA", $"dns; {remote}");
                fields.Add("Diagnostic-Code", $"smtp; {outcome}");
            }

            fields.Add("Last-Attempt-Date", DateUtils.FormatDate(now));
            if (kind == DsnKind.Delayed && retryUntil is { } until)
            {
                fields.Add("Will-Retry-Until", DateUtils.FormatDate(until));
            }

            status.StatusGroups.Add(fields);
        }

        return status;
    }

    /// <summary>RFC 3464 2.3.4: the status that fits the action; a failure without a known outcome is permanent (RFC 3463 X.0.0).</summary>
    private static EnhancedStatusCode StatusOf(DsnKind kind, DeliveryOutcome? outcome) => kind switch
    {
        DsnKind.Delayed => (outcome?.Status ?? new EnhancedStatusCode(4, 0, 0)).WithClass(4),
        DsnKind.Failed => outcome is { IsSuccess: false } failed ? failed.Status : new EnhancedStatusCode(5, 0, 0),
        _ => outcome is { IsSuccess: true } delivered ? delivered.Status : new EnhancedStatusCode(2, 0, 0),
    };

    private static MimeEntity Returned(MimeMessage original, DsnReturn returned)
    {
        if (returned == DsnReturn.Full)
        {
            return new MessagePart("rfc822") { Message = original };
        }

        var headersOnly = new MimeMessage();
        headersOnly.Headers.Clear();
        foreach (var header in original.Headers)
        {
            headersOnly.Headers.Add(header);
        }

        return new TextRfc822Headers { Message = headersOnly };
    }

    private static string HumanText(DsnKind kind, IReadOnlyList<DeliveryEntity> recipients, DsnReturn returned, string reportingMta)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"This is the mail system at {reportingMta}.\r\n\r\n");
        text.Append(kind switch
        {
            DsnKind.Failed => "Your message could not be delivered to one or more recipients.",
            DsnKind.Delayed => "Your message has not been delivered yet to one or more recipients. Delivery is still being retried; you need not send it again.",
            DsnKind.Delivered => "Your message was delivered to the mailboxes of the recipients below.",
            _ => "Your message was relayed to the mail servers of the recipients below, which do not report on delivery: no further success report will come.",
        });
        text.Append(returned == DsnReturn.Full ? " It is attached below." : " Its headers are attached below.");
        text.Append("\r\n\r\n");
        foreach (var recipient in recipients)
        {
            text.Append(CultureInfo.InvariantCulture, $"<{recipient.Recipient}>: {recipient.GetOutcome()}\r\n");
        }

        return text.ToString();
    }
}
