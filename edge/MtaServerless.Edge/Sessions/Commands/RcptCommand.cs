using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class RcptCommand
{
    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!SmtpPath.TryRead(argument, "TO:"u8, out var path, out var parameters))
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        if (!SmtpPath.TryGetMailbox(path, out var recipient))
        {
            return SmtpRejections.Reply(SmtpRejection.InvalidRecipient);
        }

        // NOTIFY and ORCPT (RFC 3461) arrive with DSN support; until then any parameter is refused.
        var reader = new SequenceReader<byte>(parameters);
        switch (EsmtpParameters.Read(ref reader, out _, out _))
        {
            case ParameterStatus.End:
                session.AddRecipient(recipient);
                return SmtpReplies.RecipientOk;
            case ParameterStatus.Invalid:
                return SmtpRejections.Reply(SmtpRejection.SyntaxError);
            default:
                return SmtpRejections.Reply(SmtpRejection.UnsupportedParameter);
        }
    }
}
