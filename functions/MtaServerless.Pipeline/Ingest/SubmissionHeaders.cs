using MimeKit.Utils;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>
/// RFC 6409 8.2 and 8.3: a message submitted without a <c>Date:</c> or a <c>Message-ID:</c> gets them from us, as
/// trace headers beside <c>Received:</c>, so the stored bytes stay as the client sent them. Only for submission
/// listeners: a relaying MTA's message is not ours to complete. Both are made from the inbound document alone
/// (the arrival time, the spool id), so a replay of Ingest adds the same ones.
/// </summary>
public static class SubmissionHeaders
{
    // What a Message-ID's right-hand side falls back to when the edge's name is no domain.
    private const string FallbackDomain = "localhost";

    /// <returns>The missing fields, each CRLF-terminated; empty when nothing is missing or the message was not submitted.</returns>
    public static string Build(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Session.Submission)
        {
            return string.Empty;
        }

        var date = message.HasDate ? string.Empty : $"Date: {DateUtils.FormatDate(message.Session.ReceivedAt)}\r\n";
        var domain = DomainName.TryNormalize(message.Session.EdgeHost, out var host) ? host : FallbackDomain;
        var messageId = message.HasMessageId ? string.Empty : $"Message-ID: <{message.Id}@{domain}>\r\n";
        return date + messageId;
    }
}
