using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class StartTlsCommand
{
    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!argument.IsEmpty)
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        if (session.IsSecure)
        {
            return SmtpRejections.Reply(SmtpRejection.AlreadySecure);
        }

        if (!session.Server.Tls.IsConfigured)
        {
            return SmtpRejections.Reply(SmtpRejection.TlsNotAvailable);
        }

        session.TlsRequested = true;
        return SmtpReplies.ReadyForTls;
    }
}
