using System.Buffers;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
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

        // RFC 5321 4.5.1: the bare <Postmaster> has no domain, and is ours whoever asks and whatever the routes say.
        var bare = Postmaster.IsBare(path);
        var recipient = default(MailboxAddress);
        if (!bare && !session.SmtpUtf8 && SmtpPath.IsNonAscii(path))
        {
            return SmtpRejections.Reply(SmtpRejection.NonAsciiAddress);
        }

        if (!bare && !SmtpPath.TryGetMailbox(path, session.SmtpUtf8, out recipient))
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

        var (refusal, deliverTo) = bare ? BarePostmaster(session) : await DecideAsync(session, recipient, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        if (SubmissionPolicy.CheckRecipient(session) is { } limited)
        {
            return limited;
        }

        // The queue document's size limits a transaction as the recipient count does (RFC 5321 4.5.3.1.10).
        return session.TryAddRecipient(new EnvelopeRecipient(deliverTo.ToString(), notify, orcpt))
            ? SmtpReplies.RecipientOk
            : SmtpRejections.Reply(SmtpRejection.TooManyRecipients);
    }

    private static (SmtpReply? Refusal, MailboxAddress DeliverTo) BarePostmaster(SmtpSession session) =>
        session.Server.Postmaster.Bare is { } postmaster ? (null, postmaster) : (SmtpRejections.Reply(SmtpRejection.UnknownUser), default);

    private static ValueTask<(SmtpReply? Refusal, MailboxAddress DeliverTo)> DecideAsync(SmtpSession session, MailboxAddress recipient, CancellationToken cancellationToken) =>
        // No route is keyed by an address literal, so there is nowhere to send it (and no relay by IP to offer).
        MailboxSyntax.IsAddressLiteral(recipient)
            ? ValueTask.FromResult<(SmtpReply?, MailboxAddress)>((SmtpRejections.Reply(SmtpRejection.AddressLiteralRecipient), recipient))
            : RecipientPolicy.CheckAsync(session, recipient, cancellationToken);

    /// <summary>RFC 3461 NOTIFY (NEVER, or a list of SUCCESS, FAILURE, DELAY) and ORCPT (addr-type;xtext), decoded once here.</summary>
    private static bool TryReadDsn(ReadOnlySequence<byte> parameters, out DsnNotify notify, out OriginalRecipient? orcpt, out SmtpRejection rejection)
    {
        notify = DsnNotify.None;
        orcpt = null;
        rejection = SmtpRejection.SyntaxError;
        var reader = new SequenceReader<byte>(parameters);
        while (true)
        {
            switch (EsmtpParameters.Read(ref reader, out var keyword, out var value))
            {
                case ParameterStatus.End:
                    return true;
                case ParameterStatus.Parameter when AsciiSequence.EqualsIgnoreCase(keyword, "NOTIFY"u8) && notify == DsnNotify.None:
                    if (!DsnNotifyKeywords.TryParse(AsciiSequence.GetString(value), out notify))
                    {
                        return false;
                    }

                    break;
                case ParameterStatus.Parameter when AsciiSequence.EqualsIgnoreCase(keyword, "ORCPT"u8) && orcpt is null:
                    orcpt = OriginalRecipientOf(AsciiSequence.GetString(value));
                    if (orcpt is null)
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

    /// <summary>RFC 3461 4.2: <c>addr-type ";" xtext</c>, an atom of at most 20 characters and an address of at most 500 once decoded.</summary>
    private static OriginalRecipient? OriginalRecipientOf(string value)
    {
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        if (semicolon is <= 0 or > 20 || !Xtext.TryDecode(value[(semicolon + 1)..], out var address) || address.Length is 0 or > 500)
        {
            return null;
        }

        return new OriginalRecipient(value[..semicolon], address);
    }
}
