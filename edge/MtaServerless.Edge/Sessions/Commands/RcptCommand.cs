using System.Buffers;
using MtaServerless.Core.Documents;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class RcptCommand
{
    public static async ValueTask<SmtpReply> HandleAsync(SmtpSession session, ReadOnlySequence<byte> argument, CancellationToken cancellationToken)
    {
        if (!SmtpPath.TryRead(argument, "TO:"u8, out var path, out var parameters))
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        if (!session.SmtpUtf8 && SmtpPath.IsNonAscii(path))
        {
            return SmtpRejections.Reply(SmtpRejection.NonAsciiAddress);
        }

        if (!SmtpPath.TryGetMailbox(path, session.SmtpUtf8, out var recipient))
        {
            return SmtpRejections.Reply(SmtpRejection.InvalidRecipient);
        }

        if (!TryReadDsn(parameters, out var notify, out var orcpt, out var rejection))
        {
            return SmtpRejections.Reply(rejection);
        }

        if (session.RecipientCount >= session.Server.Options.Limits.MaxRecipients)
        {
            return SmtpRejections.Reply(SmtpRejection.TooManyRecipients);
        }

        if (await RecipientPolicy.CheckAsync(session, recipient, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        // The queue document's size limits a transaction as the recipient count does (RFC 5321 4.5.3.1.10).
        return session.TryAddRecipient(new EnvelopeRecipient(recipient.ToString(), notify, orcpt))
            ? SmtpReplies.RecipientOk
            : SmtpRejections.Reply(SmtpRejection.TooManyRecipients);
    }

    /// <summary>RFC 3461 NOTIFY (NEVER, or a list of SUCCESS, FAILURE, DELAY) and ORCPT (addr-type;xtext).</summary>
    private static bool TryReadDsn(ReadOnlySequence<byte> parameters, out string? notify, out string? orcpt, out SmtpRejection rejection)
    {
        notify = orcpt = null;
        rejection = SmtpRejection.SyntaxError;
        var reader = new SequenceReader<byte>(parameters);
        while (true)
        {
            switch (EsmtpParameters.Read(ref reader, out var keyword, out var value))
            {
                case ParameterStatus.End:
                    return true;
                case ParameterStatus.Parameter when AsciiSequence.EqualsIgnoreCase(keyword, "NOTIFY"u8) && notify is null:
                    notify = Notify(AsciiSequence.GetString(value));
                    if (notify is null)
                    {
                        return false;
                    }

                    break;
                case ParameterStatus.Parameter when AsciiSequence.EqualsIgnoreCase(keyword, "ORCPT"u8) && orcpt is null:
                    orcpt = AsciiSequence.GetString(value);
                    if (orcpt.IndexOf(';', StringComparison.Ordinal) is <= 0 or > 20 || orcpt.EndsWith(';') || orcpt.Length > 500)
                    {
                        return false;
                    }

                    break;
                case ParameterStatus.Parameter when !AsciiSequence.EqualsIgnoreCase(keyword, "NOTIFY"u8) && !AsciiSequence.EqualsIgnoreCase(keyword, "ORCPT"u8):
                    rejection = SmtpRejection.UnsupportedParameter;
                    return false;
                default:
                    return false;
            }
        }
    }

    private static string? Notify(string value)
    {
        var items = value.ToUpperInvariant().Split(',');
        if (items is ["NEVER"])
        {
            return "NEVER";
        }

        return items.Length > 0 && items.All(i => i is "SUCCESS" or "FAILURE" or "DELAY") && items.Distinct().Count() == items.Length
            ? string.Join(',', items)
            : null;
    }
}
