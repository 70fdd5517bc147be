using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class MailCommand
{
    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!SmtpPath.TryRead(argument, "FROM:"u8, out var path, out var parameters))
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        // The null reverse path <> is how bounces are sent; it must be accepted.
        var mailFrom = string.Empty;
        if (!path.IsEmpty && !SmtpPath.TryGetMailbox(path, out mailFrom))
        {
            return SmtpRejections.Reply(SmtpRejection.InvalidSender);
        }

        string? bodyType = null;
        var reader = new SequenceReader<byte>(parameters);
        while (true)
        {
            switch (EsmtpParameters.Read(ref reader, out var keyword, out var value))
            {
                case ParameterStatus.End:
                    session.StartTransaction(mailFrom, bodyType);
                    return SmtpReplies.SenderOk;
                case ParameterStatus.Invalid:
                    return SmtpRejections.Reply(SmtpRejection.SyntaxError);
                case ParameterStatus.Parameter when AsciiSequence.EqualsIgnoreCase(keyword, "BODY"u8):
                    bodyType = BodyType(value);
                    if (bodyType is null)
                    {
                        return SmtpRejections.Reply(SmtpRejection.SyntaxError);
                    }

                    break;
                default:
                    return SmtpRejections.Reply(SmtpRejection.UnsupportedParameter);
            }
        }
    }

    // RFC 6152: kept in the envelope so a relay knows whether the next hop must offer 8BITMIME.
    private static string? BodyType(ReadOnlySequence<byte> value) =>
        AsciiSequence.EqualsIgnoreCase(value, "7BIT"u8) ? "7BIT"
        : AsciiSequence.EqualsIgnoreCase(value, "8BITMIME"u8) ? "8BITMIME"
        : null;
}
