using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using MtaServerless.Core.Deliveries;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline.Bounce;

/// <summary>
/// Builds RFC 3464 delivery status notifications with MimeKit: <c>multipart/report;
/// report-type=delivery-status</c> holding a human-readable part, the <c>message/delivery-status</c>
/// fields, and the original message or only its headers as RET asked.
/// </summary>
public static class DsnBuilder
{
    public static MimeMessage Build(DsnKind kind, BounceSource source, IReadOnlyList<DeliveryEntity> recipients, MimeMessage original, string reportingMta, DateTimeOffset now, DateTimeOffset? retryUntil)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(original);
        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = HumanText(kind, recipients, reportingMta) },
            Status(kind, source, recipients, reportingMta, now, retryUntil),
            Returned(source, original),
        };

        var dsn = new MimeMessage();
        dsn.From.Add(new MailboxAddress("Mail Delivery System", $"MAILER-DAEMON@{reportingMta}"));
        dsn.To.Add(new MailboxAddress(string.Empty, source.MailFrom));
        dsn.Subject = kind == DsnKind.Failed ? "Undelivered Mail Returned to Sender" : "Delayed Mail (still being retried)";
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

    /// <summary>The RFC 3463 status in an SMTP reply ("550 5.7.1 ..."), read as the telemetry reads it; a failure without a readable reply code is permanent.</summary>
    public static string StatusOf(string? reply)
    {
        var status = ReplyStatus.Parse(reply ?? string.Empty).EnhancedCode;
        return status[0] is '4' or '5' ? status : "5.0.0";
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
            var fields = new HeaderList();
            if (recipient.Orcpt is { Length: > 0 } orcpt)
            {
                fields.Add("Original-Recipient", orcpt.Contains(';', StringComparison.Ordinal) ? orcpt : $"rfc822; {orcpt}");
            }

            fields.Add("Final-Recipient", $"rfc822; {recipient.Recipient}");
            fields.Add("Action", kind == DsnKind.Failed ? "failed" : "delayed");
            fields.Add("Status", kind == DsnKind.Delayed ? "4" + StatusOf(recipient.LastReply)[1..] : StatusOf(recipient.LastReply));
            if (recipient.RemoteHost is { Length: > 0 } remote)
            {
                fields.Add("Remote-MTA", $"dns; {remote}");
                fields.Add("Diagnostic-Code", $"smtp; {recipient.LastReply}");
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

    private static MimeEntity Returned(BounceSource source, MimeMessage original)
    {
        if (string.Equals(source.Ret, "HDRS", StringComparison.OrdinalIgnoreCase))
        {
            var headersOnly = new MimeMessage();
            headersOnly.Headers.Clear();
            foreach (var header in original.Headers)
            {
                headersOnly.Headers.Add(header);
            }

            return new TextRfc822Headers { Message = headersOnly };
        }

        return new MessagePart("rfc822") { Message = original };
    }

    private static string HumanText(DsnKind kind, IReadOnlyList<DeliveryEntity> recipients, string reportingMta)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"This is the mail system at {reportingMta}.\r\n\r\n");
        text.Append(kind == DsnKind.Failed
            ? "Your message could not be delivered to one or more recipients. It is attached below.\r\n\r\n"
            : "Your message has not been delivered yet to one or more recipients. Delivery is still being retried; you need not send it again.\r\n\r\n");
        foreach (var recipient in recipients)
        {
            text.Append(CultureInfo.InvariantCulture, $"<{recipient.Recipient}>: {recipient.LastReply}\r\n");
        }

        return text.ToString();
    }

}
